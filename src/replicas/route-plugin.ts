import type { AnyPlugin } from '@zenstackhq/orm';
import { withScope } from '../operation-scope.ts';
import type { WriteLsns } from './write-lsns.ts';

/** Who a statement runs for, as far as routing cares. */
export interface Route {
  lsns: WriteLsns;
  /** The identity whose writes this client's reads must see (see write-lsns.ts). */
  key: string;
  /** `createDb(session, { primary: true })`: every read on the primary. */
  primary: boolean;
}

/** Routes by bound auth object (what a plugin sees) and by the client handed out (what an app holds). */
const routes = new WeakMap<object, Route>();

export function bindRoute(targets: object[], route: Route): void {
  for (const target of targets) routes.set(target, route);
}

export function routeOf(target: object): Route | undefined {
  return routes.get(target);
}

/**
 * Runs each statement of a client inside that client's route. ZenStack
 * acquires the connection, and opens and commits its mutation transactions,
 * outside the plugins: the driver's connection remembers the route of the
 * statements it ran for the COMMIT that follows. Installed outermost, so the
 * statements the audit and policy plugins add carry the route too.
 */
export class ReplicaRoutePlugin implements AnyPlugin {
  readonly id = 'replica-route';
  readonly name = 'Read-replica routing';

  onKyselyQuery: NonNullable<AnyPlugin['onKyselyQuery']> = ({ client, query, proceed }) => {
    const auth = client.$auth as object | undefined;
    const route = auth ? routes.get(auth) : undefined;
    return route ? withScope({ route }, () => proceed(query)) : proceed(query);
  };
}
