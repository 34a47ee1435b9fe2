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
