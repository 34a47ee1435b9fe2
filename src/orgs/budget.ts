import { ConnectionBudgetTimeoutError, type ConnectionPermits } from '../driver/index.ts';

export { ConnectionBudgetTimeoutError };

interface Waiter {
  grant(): void;
  fail(err: Error): void;
}

/**
 * The global cap on open connections across every pool of organization mode
 * (DB_MAX_CONNECTIONS_TOTAL). A connection takes a permit before it opens
 * its socket and gives it back when it ends, so the cap holds whatever the
 * pools do (src/driver/permit-client.ts). When none is free, `reclaim` is asked to close an idle
 * connection somewhere (least recently used organization first); waiters
 * are served first come, first served.
 */
export class ConnectionBudget implements ConnectionPermits {
  private used = 0;
  private readonly waiters: Waiter[] = [];
  /** Closes one idle connection of some pool; false when there is none. */
  reclaim: () => boolean = () => false;
  /** Peak of `used` since start: what the tests and the bench read. */
  peak = 0;
  /** Idle connections closed to make room. */
  reclaimed = 0;

  constructor(readonly cap: number) {}

  get open(): number {
    return this.used;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(timeoutMs: number): Promise<void> {
    if (this.used < this.cap) {
      this.take();
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              const i = this.waiters.indexOf(waiter);
              if (i >= 0) this.waiters.splice(i, 1);
              reject(
                new ConnectionBudgetTimeoutError(
                  `timeout exceeded when trying to connect: all ${this.cap} connections (DB_MAX_CONNECTIONS_TOTAL) are busy`,
                ),
              );
            }, timeoutMs)
          : undefined;
      timer?.unref();
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          this.take();
          resolve();
        },
        fail: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.push(waiter);
      this.makeRoom();
    });
  }

  release(): void {
    this.used--;
    if (this.closing > 0) this.closing--;
    const next = this.waiters.shift();
    if (next) next.grant();
  }

  /** Called when a connection went idle somewhere: a waiter may now take its place. */
  connectionIdle(): void {
    if (this.waiters.length > 0) queueMicrotask(() => this.makeRoom());
  }

  private take(): void {
    this.used++;
    if (this.used > this.peak) this.peak = this.used;
  }

  private makeRoom(): void {
    // One reclaimed connection per waiter; each ends asynchronously and its
    // release() hands the permit on.
    let wanted = this.waiters.length - this.closing;
    while (wanted > 0 && this.reclaim()) {
      this.reclaimed++;
      this.closing++;
      wanted--;
    }
  }

  /** Idle connections asked to close whose release() has not arrived yet. */
  private closing = 0;
}
