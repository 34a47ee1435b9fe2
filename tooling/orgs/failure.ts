/**
 * What an operator needs from an organization whose deploy failed: which
 * migration, the database's error (with its SQLSTATE) and what to do next,
 * never the password. Prisma's output is the source; `_prisma_migrations`
 * (its `logs` column) fills in the original error when a later run only
 * says "P3009: a migration failed earlier".
 */
import { scrubSecret } from '@acme/db/pool';
import { withQuickClient } from './migrations.ts';

export interface DeployFailure {
  /** The migration that failed, when Prisma names one. */
  migration?: string;
  /** The database's error: message and SQLSTATE, or the first line that says what went wrong. */
  error: string;
  /** What to run once the cause is removed. */
  next?: string;
}

const DB_ERROR = /Error querying the database: (?:ERROR: )?(.+)/;
const MIGRATION_NAME = /migration_name="([^"]+)"/;
const EARLIER_FAILURE = /The `([^`]+)` migration started at .* failed/;

/** The first line of a message that says something (not the wrapper's or Prisma's preamble). */
export function firstLine(message: string): string {
  return (
    message
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !/migrations? found in|^migrate deploy failed \(exit \d+\):?$/.test(l)) ?? 'failed'
  );
}

/** The database error Prisma recorded for `migration` (its logs), when the history table has it. */
async function loggedError(url: string, migration: string): Promise<string | undefined> {
  const rows = await withQuickClient(url, async (c) => {
    const res = await c.query<{ logs: string | null }>(
      `SELECT logs FROM _prisma_migrations
        WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL
        ORDER BY started_at DESC LIMIT 1`,
      [migration],
    );
    return res.rows;
  }).catch(() => []);
  return rows[0]?.logs?.match(DB_ERROR)?.[1]?.trim();
}

export async function describeFailure(err: unknown, url: string, slug: string): Promise<DeployFailure> {
  const error = err instanceof Error ? err : new Error(String(err));
  const message = url ? scrubSecret(error, url).message : error.message;
  const resolve = (m: string) =>
    `remove the cause, then pnpm db:org:resolve ${slug} --rolled-back ${m} and deploy again`;
  const applying = message.match(MIGRATION_NAME)?.[1];
  const dbError = message.match(DB_ERROR)?.[1]?.trim();
  if (applying && dbError) return { migration: applying, error: dbError, next: resolve(applying) };
  const earlier = message.match(EARLIER_FAILURE)?.[1];
  if (earlier) {
    const logged = url ? await loggedError(url, earlier) : undefined;
    const why = logged ? `${logged}; ` : '';
    return { migration: earlier, error: `${why}not resolved since (Prisma P3009)`, next: resolve(earlier) };
  }
  return { error: firstLine(message) };
}

/** One line: `migration <name>: <error> (<next step>)`. */
export function formatFailure(f: DeployFailure): string {
  return `${f.migration ? `migration ${f.migration}: ` : ''}${f.error}${f.next ? ` (${f.next})` : ''}`;
}
