import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';

/**
 * What the application's pg clients send (the database stays real): every
 * `query` call of the suite, as `entry(text, values)`, while `when()` holds;
 * cleared after each test. Installed for the calling test file.
 */
export function recordSentSql<T>(entry: (text: string, values: unknown[]) => T, when: () => boolean = () => true): T[] {
  const sent: T[] = [];
  const query = pg.Client.prototype.query;
  beforeAll(() => {
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      if (when()) {
        const q = args[0] as string | { text?: string; values?: unknown[] };
        const values = (Array.isArray(args[1]) ? args[1] : typeof q === 'object' ? q?.values : undefined) ?? [];
        sent.push(entry(typeof q === 'string' ? q : (q?.text ?? ''), values));
      }
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
  });
  afterAll(() => {
    pg.Client.prototype.query = query;
  });
  afterEach(() => {
    sent.length = 0;
  });
  return sent;
}

/**
 * The statement texts sent inside `record(f)` only. ZenStack's promises are
 * lazy, so `f`'s result is awaited inside the scope for its statements to be
 * recorded.
 */
export function recordSentSqlWithin(): { sent: string[]; record: <T>(f: () => PromiseLike<T>) => Promise<T> } {
  const recording = new AsyncLocalStorage<true>();
  const sent = recordSentSql(
    (text) => text,
    () => recording.getStore() === true,
  );
  return { sent, record: (f) => recording.run(true, async () => await f()) };
}
