/**
 * The embedded development database by hand (used when DATABASE_URL is not set):
 *   pnpm db:dev        start it and keep it running until Ctrl-C (for your own scripts)
 *   pnpm db:dev:stop   stop it, whoever started it (e.g. left by a crashed process)
 *   pnpm db:env        write its connection strings to .data/dev.env
 */
import path from 'node:path';
import { DEV_ENV_FILE, openDevDatabase, stopDevDatabase, writeDevEnv } from '../tooling/postgres/dev-database.ts';
import { ROOT } from '../tooling/tool-env.ts';

const [command] = process.argv.slice(2);
const envFile = path.relative(ROOT, DEV_ENV_FILE);
const usage = `node --env-file=${envFile} your-script.ts`;

async function start(): Promise<number> {
  if (process.env.DATABASE_URL) {
    console.error('DATABASE_URL is set: the development database is not used. Unset it to use it.');
    return 64;
  }
  const dev = await openDevDatabase('pnpm db:dev', (line) => console.log(`[db:dev] ${line}`));
  await writeDevEnv();
  if (!dev.owned) return 0; // already running, and its owner keeps it so
  console.log(`[db:dev] running; your scripts reach it with: ${usage}`);
  console.log('[db:dev] Ctrl-C stops it.');
  await new Promise<void>((resolve) => {
    const keepAlive = setInterval(() => {}, 1 << 30); // signal listeners alone do not keep Node running
    const done = () => resolve(clearInterval(keepAlive));
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await dev.release();
  console.log('[db:dev] stopped');
  return 0;
}

const commands: Record<string, () => Promise<number>> = {
  start,
  async stop() {
    console.log(await stopDevDatabase());
    return 0;
  },
  async env() {
    await writeDevEnv();
    console.log(`Wrote ${envFile} (DATABASE_URL and APP_DATABASE_URL of the development database; mode 600).`);
    console.log(`Use it with: ${usage}   (the database runs while pnpm demo or pnpm db:dev does)`);
    return 0;
  },
};

const run = commands[command ?? ''];
if (!run) {
  console.error(`Unknown command "${command}". Commands: ${Object.keys(commands).join(', ')}`);
  process.exit(64);
}
try {
  process.exit(await run());
} catch (err) {
  console.error(`[db:dev] ${command} failed: ${(err as Error).message}`);
  process.exit(1);
}
