import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';

/**
 * Set (by the fast paths) around a write whose one statement is all its
 * transaction will ever hold: ZenStack opened that transaction only to keep
 * a mutation and its audit row together, and the audit row now travels in
 * the same statement (src/audit/audit-cte.ts). A single statement is atomic
 * on its own, so the BEGIN and COMMIT around it are two round trips for
 * nothing; {@link withLazyBegin} drops them.
 */
export const wholeTransaction = new AsyncLocalStorage<true>();

/**
 * Set around an ORM operation that, when the session's rules decide it, sends
 * exactly one mutation and opens no transaction of its own (write-path.ts).
 */
export const oneStatementWrite = new AsyncLocalStorage<true>();

/**
 * Set around a mutation statement inside {@link oneStatementWrite} that no
 * policy step surrounds (rules decided for the session): the audit plugin may
 * then put its rows into the same statement and run it as {@link wholeTransaction}.
 */
export const decidedWrite = new AsyncLocalStorage<true>();

/** Exactly what Kysely's PostgresDriver sends to open, commit and roll back a transaction. */
const BEGIN = /^(begin|start transaction( isolation level [a-z ]+?)?( read (only|write))?)$/i;
const END = /^(commit|rollback)$/i;

// biome-ignore lint/suspicious/noExplicitAny: pg's query() overloads; only the promise form is changed.
type Query = (...args: any[]) => any;

/** What a client from {@link withLazyBegin} adds. */
export interface LazyBegin {
  resetLazyBegin(): void;
}

const done = (command: string) => ({ command, rowCount: null, oid: 0, rows: [], fields: [] });

/**
 * A pg client class whose BEGIN waits for the transaction's first
 * statement. It is then sent just before that statement — or not at all
 * when the statement runs
 * inside {@link wholeTransaction}: the statement then runs as its own
 * implicit transaction and the COMMIT (or ROLLBACK) that follows is answered
 * here. A second statement in such a transaction would have lost its
 * atomicity, so it is refused loudly rather than run.
 */
export function withLazyBegin<C extends typeof pg.Client>(Base: C): C {
  // @ts-expect-error a mixin over pg's Client constructor
  return class LazyBeginClient extends Base {
    /** The BEGIN not sent yet. */
    private pendingBegin: string | undefined;
    /** The transaction's only statement ran without BEGIN. */
    private elided = false;

    // biome-ignore lint/suspicious/noExplicitAny: see Query
    override query(...args: any[]): any {
      const [config, values, callback] = args;
      const text: unknown = typeof config === 'string' ? config : config?.text;
      const send: Query = (...a) => (super.query as Query).apply(this, a);
      const plainCall =
        typeof callback !== 'function' && typeof values !== 'function' && typeof config?.submit !== 'function';
      if (!plainCall || typeof text !== 'string') return send(...args);
      if (END.test(text) && (this.pendingBegin !== undefined || this.elided)) {
        // Nothing was sent in this transaction, or its one statement committed (or failed) by itself.
        this.pendingBegin = undefined;
        this.elided = false;
        return Promise.resolve(done(text.toUpperCase()));
      }
      if (this.elided) {
        this.elided = false;
        return Promise.reject(
          new Error('@acme/db: a second statement in a transaction that was sent as one statement'),
        );
      }
      if (BEGIN.test(text) && this.pendingBegin === undefined && this.getTransactionStatus() === 'I') {
        this.pendingBegin = text;
        return Promise.resolve(done('BEGIN'));
      }
      const begin = this.pendingBegin;
      if (begin === undefined) return send(...args);
      this.pendingBegin = undefined;
      if (wholeTransaction.getStore() === true) {
        this.elided = true;
        return send(config, values);
      }
      // Sent one after the other: a client below (RlsContextClient) decides by the transaction status
      // the server last reported, which a pipelined BEGIN would not have updated yet.
      return send(begin).then(() => send(config, values));
    }

    /** Called when the pool takes the client back: no transaction state outlives a lease. */
    resetLazyBegin(): void {
      this.pendingBegin = undefined;
      this.elided = false;
    }
  };
}
