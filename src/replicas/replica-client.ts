import pg from 'pg';
import { setAuth } from '../rls/context-client.ts';
import { sessionContext } from '../rls/session-context.ts';
import { parseLsn } from './lsn.ts';

/** What the standby said about itself just before it ran a statement. */
export interface ReplicaProbe {
  inRecovery: boolean;
  /** `pg_last_wal_replay_lsn()`: the statement saw every commit up to here. */
  replayLsn: bigint | null;
}

const PROBE = 'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay';

/**
 * The pg client of a replica pool. Every statement runs in a read-only
 * transaction of its own, pipelined in one round trip:
 *
 *   BEGIN READ ONLY; [set_config('acme.auth', …, true);] SELECT <probe>  |  statement  |  COMMIT
 *
 * - read-only: a write that slipped past the router (a function that writes,
 *   a misread statement) fails with 25006 instead of landing on a standby
 *   that was promoted, and is re-run on the primary;
 * - the session context, when a session client sent the statement, is
 *   transaction-local as on the primary (src/rls/), so row-level security
 *   holds on the replica and nothing is left on the connection;
 * - the probe, read before the statement in the same transaction, tells the
 *   router exactly how fresh the statement's snapshot is at least, and that
 *   the server is still a standby (see routed-pool.ts).
 */
export class ReplicaClient extends pg.Client {
  lastProbe: ReplicaProbe | undefined;

  constructor(config?: string | pg.ClientConfig) {
    super(typeof config === 'string' ? { connectionString: config, pipeline: true } : { ...config, pipeline: true });
    // A checked-out pg client has no 'error' listener, and a pipelined write to a dead server
    // (EPIPE) would then crash the process. The statements in flight fail with the error anyway.
    this.on('error', () => {});
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has many overloads; only the promise form is wrapped.
  override query(...args: any[]): any {
    const [config, values, callback] = args;
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const send = (...a: any[]) => (super.query as any)(...a);
    const plainCall =
      typeof callback !== 'function' && typeof values !== 'function' && typeof config?.submit !== 'function';
    if (!plainCall || this.getTransactionStatus() === 'T') return send(...args);
    return this.readOnly(send, config, values);
  }

  private async readOnly(
    // biome-ignore lint/suspicious/noExplicitAny: see above
    send: (...a: any[]) => Promise<any>,
    config: unknown,
    values: unknown,
  ): Promise<unknown> {
    const auth = sessionContext.getStore();
    this.lastProbe = undefined;
    const begin = send(`BEGIN READ ONLY; ${auth === undefined ? '' : `${setAuth(auth)}; `}${PROBE}`);
    const statement = send(config, values);
    const commit = send('COMMIT');
    const [begun, result, committed] = await Promise.allSettled([begin, statement, commit]);
    // The first failure is the cause; the later ones only say the transaction was aborted.
    for (const settled of [begun, result, committed]) if (settled.status === 'rejected') throw settled.reason;
    const results = (begun as PromiseFulfilledResult<pg.QueryResult | pg.QueryResult[]>).value;
    const probe = (Array.isArray(results) ? results[results.length - 1] : results)?.rows[0];
    this.lastProbe = {
      inRecovery: probe?.standby === true,
      replayLsn: typeof probe?.replay === 'string' ? parseLsn(probe.replay) : null,
    };
    return (result as PromiseFulfilledResult<unknown>).value;
  }
}
