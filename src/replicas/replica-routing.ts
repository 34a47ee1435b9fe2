import type pg from 'pg';
import type { DbConfig } from '../config.ts';
import { ReplicaPools } from '../driver/index.ts';
import { formatLsn, parseLsn } from './lsn.ts';
import { type ReplicaServer, ReplicaSet, type ReplicaSetOptions, type ServerState } from './replica-set.ts';
import { onServer } from './replica-urls.ts';
import { bindRoute, ReplicaRoutePlugin, routeOf } from './route-plugin.ts';

export interface ServerStats {
  /** `primary`, or the replica as host:port (no credentials). */
  server: string;
  replica: boolean;
  state: ServerState;
  /** pg's pool counters, summed over the roles' pools on this server. */
  total: number;
  idle: number;
  waiting: number;
  /** Read statements this server answered; the primary also counts the statements that wrote. */
  reads: number;
  writes?: number;
  /** Replicas: how old their data is at most (null: not known), and their replay position. */
  lagMs?: number | null;
  replayLsn?: string | null;
}

/**
 * Everything a pool-creation call site needs to put reads on replicas: give
 * the driver of each primary pool the replica pools of {@link pools}, install {@link plugin} on the clients
 * built over it, and {@link bind} each client handed out to the identity
 * whose writes it must see. One instance per primary (per process, or per
 * organization's database).
 */
export class ReplicaRouting {
  readonly set: ReplicaSet;
  readonly plugin = new ReplicaRoutePlugin();
  private readonly roles: { primary: pg.Pool; replicas: ReplicaPools }[] = [];

  constructor(options: ReplicaSetOptions) {
    this.set = new ReplicaSet(options);
  }

  /** Routing for a configuration, or undefined when it names no replicas (nothing changes then). */
  static fromConfig(config: DbConfig): ReplicaRouting | undefined {
    if (config.replicaUrls.length === 0) return undefined;
    return new ReplicaRouting({
      servers: config.replicaUrls,
      maxLagMs: config.replicaMaxLagMillis,
      probeUrl: config.connectionString,
    });
  }

  /** `config` with its role URLs pointed at the replica server `serverUrl`. */
  static onReplica(config: DbConfig, serverUrl: string): DbConfig {
    return {
      ...config,
      connectionString: onServer(config.connectionString, serverUrl),
      appConnectionString: config.appConnectionString && onServer(config.appConnectionString, serverUrl),
    };
  }

  /** The replica pools of one role whose primary pool is `primary` (src/driver routes each read). */
  pools(
    primary: pg.Pool,
    openReplicaPool: (serverUrl: string, onError: (err: Error) => void) => pg.Pool,
  ): ReplicaPools {
    const replicas = new ReplicaPools(this.set, openReplicaPool);
    this.roles.push({ primary, replicas });
    return replicas;
  }

  /** `targets` (the bound auth object, the client handed out) read as `key`, or always from the primary. */
  bind(targets: object[], key: string, primary: boolean): void {
    bindRoute(targets, { lsns: this.set.lsns, key, primary });
  }

  /** The identity's reads must see at least `minLsn` from now on (an LSN carried over from another request). */
  require(key: string, minLsn: string): void {
    this.set.lsns.raise(key, parseLsn(minLsn));
  }

  /** What `target`'s reads wait for, as an LSN to hand back to the app; null when nothing yet. */
  minLsnOf(target: object): string | null {
    const route = routeOf(target);
    const lsn = route ? route.lsns.get(route.key) : 0n;
    return lsn > 0n ? formatLsn(lsn) : null;
  }

  stats(): ServerStats[] {
    const counts = (role: (typeof this.roles)[number], server?: ReplicaServer) =>
      server
        ? role.replicas.counts(server)
        : { total: role.primary.totalCount, idle: role.primary.idleCount, waiting: role.primary.waitingCount };
    const sum = (server?: ReplicaServer) =>
      this.roles.reduce(
        (acc, role) => {
          const c = counts(role, server);
          return { total: acc.total + c.total, idle: acc.idle + c.idle, waiting: acc.waiting + c.waiting };
        },
        { total: 0, idle: 0, waiting: 0 },
      );
    return [
      {
        server: 'primary',
        replica: false,
        state: 'up',
        ...sum(),
        reads: this.set.primaryReads,
        writes: this.set.primaryWrites,
      },
      ...this.set.servers.map((server) => ({
        server: server.name,
        replica: true,
        ...this.set.replicaState(server),
        ...sum(server),
        reads: server.reads,
      })),
    ];
  }

  async close(): Promise<void> {
    await this.set.close();
  }
}
