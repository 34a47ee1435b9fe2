import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import type pg from 'pg';
import { currentScope } from '../operation-scope.ts';
import { NotInRecoveryError, replicaFault } from '../replicas/replica-faults.ts';
import type { ReplicaServer, RoutedStatement } from '../replicas/replica-set.ts';
import type { Route } from '../replicas/route-plugin.ts';
import type { DriverOptions } from './options.ts';
import { primaryWriteLsn, readOnReplica, withWriteLsn } from './replica-pools.ts';
import { isBroken, send, setAuthSql, toQueryResult } from './send.ts';
import { heldContext, isOneBackend, onOneBackend, rememberContext, UNKNOWN } from './session-cache.ts';
import { kindOf, type StatementKind } from './statement-kind.ts';
import { statementSpan } from './statement-span.ts';

/**
 * Where the transaction Kysely opened on this connection stands:
 * `pending`: begun, nothing sent yet (the BEGIN waits for the first statement);
 * `open`: BEGIN went out with the first statement;
 * `elided`: its one statement was the whole transaction (scope `whole`) and
 * ran as its own implicit transaction, so COMMIT has nothing to send.
 */
type Transaction = 'none' | 'pending' | 'open' | 'elided';

/**
 * One lease as Kysely sees it. Which server and which pg client it is on is
 * decided by its first statement: a transaction and anything that writes go
 * to the primary (and stay there until released); a read outside a
 * transaction may go to a replica (options.replicas).
 *
 * The session context (`acme.auth`, row-level security) is transaction-local,
 * so nothing outlives a transaction on a pooled (or PgBouncer) connection:
 * outside a transaction a statement goes as `BEGIN; set_config(…)`, the
 * statement, `COMMIT`, pipelined in one round trip; inside one, set_config
 * goes once per session ahead of its first statement. The auth JSON is an
 * escaped literal, never a bind parameter.
 */
export class AcmeConnection implements DatabaseConnection {
  private client: pg.PoolClient | undefined;
  /** The replica the client is on (undefined with a client: the primary), and its generation then. */
  private server: ReplicaServer | undefined;
  private generation = 0;
  private transaction: Transaction = 'none';
  private beginSql = 'BEGIN';
  private appliedAuth: string | undefined;
  private wrote = false;
  /** The route of the last statement: ZenStack's COMMIT runs outside the plugins that set it. */
  private route: Route | undefined;
  private broken = false;

  constructor(private readonly o: DriverOptions) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const scope = currentScope();
    if (scope.route) this.route = scope.route;
    const auth = this.o.sessionContext ? scope.auth : undefined;
    const result = await statementSpan(query, scope, this.o.slowMs, () =>
      this.execute(query, kindOf(query), auth, scope.whole === true),
    );
    return toQueryResult<R>(result);
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('@acme/db: streaming queries are not supported by this driver');
  }

  /** Kysely's beginTransaction: sent with the first statement when BEGIN is lazy. */
  async begin(sql: string): Promise<void> {
    this.beginSql = sql;
    this.wrote = false;
    this.appliedAuth = undefined;
    if (this.o.lazyBegin) {
      this.transaction = 'pending';
      return;
    }
    await this.checked(this.onPrimary().then((c) => c.query(sql)));
    this.transaction = 'open';
    this.served('transaction', 'transaction');
  }

  async commit(): Promise<void> {
    const state = this.transaction;
    this.transaction = 'none';
    if (state !== 'open') return; // nothing was sent, or its one statement committed by itself
    const client = this.client as pg.PoolClient;
    const commit = this.checked(client.query('COMMIT'));
    const result = await (this.wrote ? this.afterWrite(client, commit) : commit);
    // PostgreSQL completes COMMIT with a ROLLBACK tag when an earlier error aborted the transaction.
    if (result.command === 'ROLLBACK') throw new Error('@acme/db: the transaction was aborted and rolled back');
  }

  async rollback(): Promise<void> {
    const state = this.transaction;
    this.transaction = 'none';
    if (state !== 'open') return;
    try {
      await this.checked((this.client as pg.PoolClient).query('ROLLBACK'));
    } catch (err) {
      this.broken = true;
      throw err;
    }
  }

  release(): void {
    this.drop(this.broken);
    this.transaction = 'none';
    this.route = undefined;
  }

  private async execute(query: CompiledQuery, kind: StatementKind, auth: string | undefined, whole: boolean) {
    if (kind === 'begin' || kind === 'end') return this.rawTransactionControl(query, kind);
    if (this.transaction === 'elided') {
      this.transaction = 'none';
      throw new Error('@acme/db: a second statement in a transaction that was sent as one statement');
    }
    if (this.transaction === 'pending' && whole) {
      this.transaction = 'elided';
      return this.autocommit(query, kind, auth);
    }
    if (this.transaction !== 'none') return this.inTransaction(query, kind, auth);
    const { replicas } = this.o;
    if (kind === 'read' && replicas && !this.route?.primary) return this.read(query, auth);
    return this.autocommit(query, kind, auth);
  }

  private async inTransaction(query: CompiledQuery, kind: StatementKind, auth: string | undefined) {
    const client = await this.onPrimary();
    const named = this.named(client);
    const prefix: string[] = [];
    if (this.transaction === 'pending') {
      prefix.push(this.beginSql);
      this.transaction = 'open';
      this.served('transaction', 'transaction');
    }
    // What the backend holds for this transaction so far: its own local setting, else the session's (cached).
    const held = heldContext(client);
    const want = auth ?? (held === undefined ? undefined : '');
    if (want !== undefined && (this.appliedAuth ?? held) !== want) {
      // Transaction-local: the session-level value (if any) is back when the transaction ends.
      prefix.push(setAuthSql(want));
      this.appliedAuth = want;
    }
    if (kind !== 'read') this.wrote = true;
    if (prefix.length > 0) {
      // One simple-protocol message ahead of the statement; pipelined, the statement fails if it failed.
      const sent = this.checked(client.query(prefix.join('; ')));
      if (this.o.pipelined) sent.catch(() => {});
      else await sent;
    }
    return this.checked(send(client, query, named));
  }

  /** Named statements on this client: always, never, or where it is one backend (session-cache.ts). */
  private named(client: pg.ClientBase): boolean {
    const { prepared } = this.o;
    return prepared === 'direct' ? isOneBackend(client) : prepared;
  }

  /**
   * A new pg client is asked whether it is one backend before anything else goes out on it: the statement
   * paths after it send synchronously, in order (the WAL position after a write must follow the write).
   */
  private async leased(client: pg.PoolClient): Promise<pg.PoolClient> {
    if (this.o.prepared === 'direct' || (this.o.contextCache && this.o.sessionContext)) await onOneBackend(client);
    return client;
  }

  /** A statement that is its own transaction (with a session context: BEGIN; set_config | statement | COMMIT). */
  private async autocommit(query: CompiledQuery, kind: StatementKind, auth: string | undefined) {
    const client = await this.onPrimary();
    const run = this.checked(this.ownTransaction(client, query, auth));
    if (!this.o.replicas) return run;
    if (kind === 'read') {
      this.served('read', 'requested');
      return run;
    }
    this.served('write', 'write');
    return this.afterWrite(client, run);
  }

  private afterWrite<T>(client: pg.PoolClient, statement: Promise<T>): Promise<T> {
    const { replicas, primary } = this.o;
    if (!replicas) return statement;
    return withWriteLsn(client, statement, replicas.set, this.route, primaryWriteLsn(primary));
  }

  /** A read outside a transaction: on a replica that is up and has this route's writes, else on the primary. */
  private async read(query: CompiledQuery, auth: string | undefined): Promise<pg.QueryResult> {
    const replicas = this.o.replicas as NonNullable<DriverOptions['replicas']>;
    const { set } = replicas;
    const route = this.route;
    const minLsn = route ? route.lsns.get(route.key) : set.lsns.get('');
    const server = set.pick(minLsn);
    let reason: RoutedStatement['reason'] = 'no-replica';
    if (server) {
      try {
        if (!this.client || this.server !== server) {
          this.drop(false);
          this.generation = server.generation;
          this.client = await this.leased(await replicas.pool(server).connect());
          this.server = server;
        }
        const named = this.named(this.client);
        const { result, probe } = await readOnReplica(this.client, query, auth, named);
        if (!probe.inRecovery) throw new NotInRecoveryError(`${server.name} is not in recovery`);
        set.noteReplay(server, probe.replayLsn);
        // Exact, per statement: the snapshot it ran on is at least this fresh.
        if (set.fresh(probe.replayLsn, minLsn)) {
          const replayLsn = probe.replayLsn === null ? {} : { replayLsn: probe.replayLsn.toString(16) };
          const event = { server: server.name, replica: true, kind: 'read', reason: 'replica' } as const;
          set.served({ ...event, inRecovery: true, ...replayLsn }, server);
          return result;
        }
        reason = 'not-caught-up';
      } catch (err) {
        const fault = replicaFault(err);
        if (!fault) throw err;
        set.fault(server, fault, err, this.generation);
        this.drop(true);
        reason = 'replica-failed';
      }
    }
    const client = await this.onPrimary();
    const result = await this.checked(this.ownTransaction(client, query, auth));
    this.served('read', reason);
    return result;
  }

  /** The statement alone; with a session context `BEGIN; set_config` | statement | `COMMIT`, pipelined. */
  private async ownTransaction(client: pg.PoolClient, query: CompiledQuery, auth: string | undefined) {
    const named = this.named(client);
    const held = heldContext(client);
    // No context, and none on the backend: the statement alone (it sees nothing under RLS).
    if (auth === undefined && held === undefined) return send(client, query, named);
    const want = auth ?? '';
    const cache = this.o.contextCache === true && this.o.sessionContext && isOneBackend(client);
    if (cache && held === want) return send(client, query, named);
    if (!cache) return this.wrapped(client, query, setAuthSql(want), named);
    // Session-level, set in the statement's transaction: it holds only if that transaction commits.
    rememberContext(client, UNKNOWN);
    const result = await this.wrapped(client, query, setAuthSql(want, false), named);
    rememberContext(client, want);
    return result;
  }

  /** `BEGIN; <set>` | statement | `COMMIT`: if the set fails, the statement fails (aborted transaction). */
  private async wrapped(client: pg.PoolClient, query: CompiledQuery, set: string, named: boolean) {
    const begin = `BEGIN; ${set}`;
    if (!this.o.pipelined) {
      await client.query(begin);
      try {
        const result = await send(client, query, named);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    }
    const begun = client.query(begin);
    const statement = send(client, query, named);
    // After a failed statement PostgreSQL answers COMMIT with ROLLBACK: nothing half-done stays.
    const commit = client.query('COMMIT');
    const [result] = await Promise.all([statement, begun, commit]);
    return result;
  }

  /** `BEGIN`/`COMMIT` sent as SQL (a system client's raw statement): passed to the primary as they are. */
  private async rawTransactionControl(query: CompiledQuery, kind: 'begin' | 'end') {
    const client = await this.onPrimary();
    const result = await this.checked(client.query(query.sql, query.parameters as unknown[]));
    this.transaction = kind === 'begin' ? 'open' : 'none';
    return result;
  }

  private async onPrimary(): Promise<pg.PoolClient> {
    if (this.client && !this.server) return this.client;
    this.drop(false);
    this.client = await this.leased(await this.o.primary.connect());
    return this.client;
  }

  /** Marks the connection broken when the server dropped it, so the pool discards it on release. */
  private checked<T>(result: Promise<T>): Promise<T> {
    return result.catch((err: unknown) => {
      if (isBroken(err)) this.broken = true;
      // Whatever failed, the backend's session context is no longer known for sure.
      if (this.client && heldContext(this.client) !== undefined) rememberContext(this.client, UNKNOWN);
      throw err;
    });
  }

  private served(kind: RoutedStatement['kind'], reason: RoutedStatement['reason']): void {
    this.o.replicas?.set.served({ server: 'primary', replica: false, kind, reason });
  }

  private drop(destroy: boolean): void {
    const client = this.client;
    this.client = undefined;
    this.server = undefined;
    this.broken = false;
    client?.release(destroy ? true : undefined);
  }
}
