/**
 * The embedded development database by hand (used when DATABASE_URL is not set):
 *   pnpm db:dev [--standby]  start it (and a streaming standby of it) and keep it running until Ctrl-C
 *   pnpm db:dev:stop         stop it and its standby, whoever started them (e.g. left by a crashed process)
 *   pnpm db:env              write its connection strings to .data/dev.env and .data/dev-orgs.env
 */
import path from 'node:path';
import { redactUrl } from '@acme/db/config';
import {
  DEV_ENV_FILE,
  DEV_ORGS_ENV_FILE,
  openDevDatabase,
  stopDevDatabase,
  writeDevEnv,
} from '../tooling/postgres/dev-database.ts';
import { openDevStandby, runningDevStandby, stopDevStandby } from '../tooling/postgres/dev-standby.ts';
import { ROOT } from '../tooling/tool-env.ts';

const [command, ...rest] = process.argv.slice(2);
// `pnpm db:dev -- --standby` forwards the `--` itself.
const flags = rest.filter((a) => a !== '--');
const envFile = path.relative(ROOT, DEV_ENV_FILE);
const orgsEnvFile = path.relative(ROOT, DEV_ORGS_ENV_FILE);
const usage = `node --env-file=${envFile} your-script.ts`;

async function start(): Promise<number> {
  if (process.env.DATABASE_URL) {
    console.error('DATABASE_URL is set: the development database is not used. Unset it to use it.');
    return 64;
  }
  const unknown = flags.find((f) => f !== '--standby');
  if (unknown) {
    console.error(`Unknown option ${unknown}. Usage: pnpm db:dev [--standby]`);
    return 64;
  }
  const withStandby = flags.includes('--standby');
  const label = withStandby ? 'pnpm db:dev --standby' : 'pnpm db:dev';
  const log = (line: string) => console.log(`[db:dev] ${line}`);
  const dev = await openDevDatabase(label, log);
  const standby = withStandby ? await openDevStandby(label, log) : undefined;
  await writeDevEnv(standby?.serverUrl ?? runningDevStandby());
  if (!dev.owned && !standby?.owned) return 0; // already running, and its owner keeps it so
  console.log(`[db:dev] running; your scripts reach it with: ${usage}`);
  if (standby)
    console.log(`[db:dev] ${envFile} routes their reads to the standby: DATABASE_REPLICA_URLS=${standby.serverUrl}`);
  console.log('[db:dev] Ctrl-C stops it.');
  await new Promise<void>((resolve) => {
    const keepAlive = setInterval(() => {}, 1 << 30); // signal listeners alone do not keep Node running
    const done = () => resolve(clearInterval(keepAlive));
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await standby?.release(); // before its primary: it would only retry the connection meanwhile
  await dev.release();
  console.log('[db:dev] stopped');
  return 0;
}

const commands: Record<string, () => Promise<number>> = {
  start,
  async stop() {
    const standby = await stopDevStandby();
    if (standby) console.log(standby);
    console.log(await stopDevDatabase());
    return 0;
  },
  async env() {
    const replica = runningDevStandby();
    const { centralUrl } = await writeDevEnv(replica);
    const vars = `DATABASE_URL, APP_DATABASE_URL${replica ? ', DATABASE_REPLICA_URLS (its standby)' : ''}`;
    console.log(`Wrote ${envFile}: ${vars} of the development database (mode 600).`);
    console.log(`Use it with: ${usage}   (the database runs while pnpm demo or pnpm db:dev does)`);
    console.log(`Wrote ${orgsEnvFile}: the same and, for organization mode (README "Organizations"),`);
    console.log(`  CENTRAL_DATABASE_URL=${redactUrl(centralUrl)}`);
    console.log(`Organization mode in this shell: set -a; . ${orgsEnvFile}; set +a`);
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
