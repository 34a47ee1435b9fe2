import net from 'node:net';
import pg from 'pg';

/** The part of src/orgs/budget.ts a connection needs: a permit before its socket opens, returned when it ends. */
export interface ConnectionPermits {
  acquire(timeoutMs: number): Promise<void>;
  release(): void;
}

export class ConnectionBudgetTimeoutError extends Error {
  override readonly name = 'ConnectionBudgetTimeoutError';
}

/**
 * The pg client class of a pool whose connections count against a global
 * cap (organization mode, DB_MAX_CONNECTIONS_TOTAL). pg-pool has no hook
 * between deciding to open a connection and opening its socket, so the
 * permit is taken in `connect()`: the one pg.Client subclass of the package,
 * and it changes nothing else (queries go through the driver).
 */
export function permitClient(permits: ConnectionPermits, timeoutMs: number): typeof pg.Client {
  class PermitClient extends pg.Client {
    private permit: 'none' | 'held' | 'returned' = 'none';
    /**
     * The client's socket, made here through pg's public `stream` option (what pg would make itself):
     * pg-pool's connect timeout destroys it, and `destroyed` is Node's public flag for that.
     */
    private readonly socket: net.Socket;

    constructor(config?: string | pg.ClientConfig) {
      let socket: net.Socket | undefined;
      const stream = () => {
        socket = new net.Socket();
        return socket;
      };
      super(typeof config === 'string' ? { connectionString: config, stream } : { ...config, stream });
      this.socket = socket ?? new net.Socket();
    }

    private returnPermit(): void {
      if (this.permit !== 'held') return;
      this.permit = 'returned';
      permits.release();
    }

    // biome-ignore lint/suspicious/noExplicitAny: pg's connect() has a callback and a promise form (pg-pool uses the first).
    override connect(callback?: any): any {
      const connecting = permits.acquire(timeoutMs).then(() => {
        this.permit = 'held';
        this.once('end', () => this.returnPermit());
        // pg-pool's own connect timeout may have destroyed the socket meanwhile.
        if (this.socket.destroyed) {
          this.returnPermit();
          throw new ConnectionBudgetTimeoutError('timeout exceeded when trying to connect');
        }
        return super.connect().catch((err: Error) => {
          this.returnPermit();
          throw err;
        });
      });
      if (!callback) return connecting;
      connecting.then(
        () => callback(null, this),
        (err: Error) => callback(err),
      );
      return undefined;
    }
  }
  return PermitClient as unknown as typeof pg.Client;
}
