import { checkUrl } from '@acme/db/config';
import { describeTarget } from './database.ts';
import { openDevDatabase } from './postgres/dev-database.ts';
import { loadDotEnv } from './tool-env.ts';

export interface TargetDatabase {
  url: string;
  /** Stops the embedded development database if this process started it; otherwise does nothing. */
  release(): Promise<void>;
}

/**
 * The database a command works on: DATABASE_URL (environment or .env), or,
 * when it is not set, the embedded development database, started if needed.
 * Sets process.env.DATABASE_URL so child processes (Prisma) and the package's
 * own client see the same target, and announces it without the password.
 */
export async function openTargetDatabase(label: string): Promise<TargetDatabase> {
  loadDotEnv();
  const explicit = process.env.DATABASE_URL;
  // Before any tool sees them: Prisma would report a malformed URL as an engine download failure.
  if (explicit) checkUrl('DATABASE_URL', explicit);
  if (process.env.APP_DATABASE_URL) checkUrl('APP_DATABASE_URL', process.env.APP_DATABASE_URL);
  const dev = explicit
    ? undefined
    : await openDevDatabase(`pnpm ${label}`, (line) => console.log(`[${label}] ${line}`));
  const url = explicit || (dev?.url as string);
  process.env.DATABASE_URL = url;
  if (dev && !process.env.APP_DATABASE_URL) process.env.APP_DATABASE_URL = dev.appUrl;
  console.log(`[${label}] ${describeTarget(url)}`);
  const app = process.env.APP_DATABASE_URL;
  console.log(
    app
      ? `[${label}] sessions connect as ${describeTarget(app)} (row-level security in force)`
      : `[${label}] APP_DATABASE_URL is not set: sessions connect as DATABASE_URL and only the ORM's rules apply`,
  );
  return { url, release: async () => dev?.release() };
}

/** Runs `fn` against the target database (see openTargetDatabase), releasing it afterwards. */
export async function withTargetDatabase<T>(label: string, fn: (url: string) => Promise<T>): Promise<T> {
  const target = await openTargetDatabase(label);
  try {
    return await fn(target.url);
  } finally {
    await target.release();
  }
}

/** For an entry point (demo, studio): the target database, or one `[label] failed: …` line and exit 1. */
export async function openTargetOrExit(label: string): Promise<TargetDatabase> {
  try {
    return await openTargetDatabase(label);
  } catch (err) {
    console.error(`[${label}] failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
