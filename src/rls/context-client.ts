import pg from 'pg';
import { AUTH_SETTING } from './names.ts';
import { sessionContext } from './session-context.ts';

const TRANSACTION_CONTROL = /^\s*(begin|start\s+transaction|commit|end|rollback|abort)\b/i;
/** SQLSTATE classes 08 (connection) and 57P (shutdown) and socket errors: the connection is gone. */
const BROKEN = /^(08|57P|EPIPE$|ECONNRESET$)/;

/** The statement that sets the session context; replica connections (src/replicas/) send it too. */
export const setAuth = (json: string) => `SELECT set_config('${AUTH_SETTING}', ${pg.escapeLiteral(json)}, true)`;

/**
 * The pg client of the application pool. A statement sent inside a session
 * context carries that session to PostgreSQL in a transaction-local setting,
 * so nothing outlives the transaction on a pooled (or PgBouncer) connection:
 *
 * - outside a transaction it is sent as `BEGIN; set_config(…, true)` (one
 *   message), the statement, COMMIT — pipelined, so in one round trip;
 * - inside a transaction (ZenStack's, or `$transaction`) set_config is sent
 *   once, before the first statement of that session.
 *
 * The auth JSON is inlined as an escaped literal, never a bind parameter:
 * ZenStack reuses a raw query's parameters for every statement it sends.
 * Statements without a context (pool health checks, transaction control)
 * pass untouched and, with no setting, the policies let them see nothing.
 */
export class RlsContextClient extends pg.Client {
  /** The auth JSON set in the current transaction, if any. */
  private appliedAuth: string | undefined;

  constructor(config?: string | pg.ClientConfig) {
    super(typeof config === 'string' ? { connectionString: config, pipeline: true } : { ...config, pipeline: true });
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has many overloads; only the promise form is wrapped.
  override query(...args: any[]): any {
    const [config, values, callback] = args;
    const text: unknown = typeof config === 'string' ? config : config?.text;
    const auth = sessionContext.getStore();
    const plainCall =
      typeof callback !== 'function' && typeof values !== 'function' && typeof config?.submit !== 'function';
    const transactionControl = typeof text === 'string' && TRANSACTION_CONTROL.test(text);
    if (transactionControl) this.appliedAuth = undefined;
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const send = (...a: any[]) => (super.query as any)(...a);
    if (!plainCall) return send(...args);
    if (auth === undefined || transactionControl) return this.dropIfBroken(send(...args));
    const status = this.getTransactionStatus();
    if (status === 'T') {
      if (this.appliedAuth !== auth) {
        this.appliedAuth = auth;
        // Pipelined ahead of the statement; if it failed, the statement fails too (aborted transaction).
        send(setAuth(auth)).catch(() => {});
      }
      return this.dropIfBroken(send(config, values));
    }
    if (status !== 'I' && status !== null) return this.dropIfBroken(send(config, values));
    return this.dropIfBroken(this.inOwnTransaction(send, auth, config, values));
  }

  /**
   * In pipeline mode a FATAL error (terminated backend, server shutdown)
   * reaches the query before the socket closes, so the pool would take the
   * client back as healthy and the next query would hit a dead socket
   * (EPIPE). Ending it here marks it for removal before it is released.
   */
  private dropIfBroken<T>(result: Promise<T>): Promise<T> {
    return result.catch((err: { severity?: string; code?: string }) => {
      if (err?.severity === 'FATAL' || BROKEN.test(String(err?.code ?? ''))) this.end().catch(() => {});
      throw err;
    });
  }

  private async inOwnTransaction(
    // biome-ignore lint/suspicious/noExplicitAny: see above
    send: (...a: any[]) => Promise<any>,
    auth: string,
    config: unknown,
    values: unknown,
  ): Promise<unknown> {
    // One simple-protocol message for both (no parameters): one fewer server round of work.
    const begin = send(`BEGIN; ${setAuth(auth)}`);
    const statement = send(config, values);
    // After a failed statement PostgreSQL answers COMMIT with ROLLBACK: nothing half-done stays.
    const commit = send('COMMIT');
    const [result] = await Promise.all([statement, begin, commit]);
    return result;
  }
}
