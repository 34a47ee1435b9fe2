import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP_ROLE } from '@acme/db/rls';
import { withClient, withDatabase } from '../database.ts';
import { appUrl, ensureAppLogin } from '../rls/app-role.ts';
import { ROOT } from '../tool-env.ts';
import { freePort, startEmbeddedPostgres } from './embedded.ts';
import { canAccess, isAlive, postmasterPid, serverOsUser, stopPostmaster, watchOwner } from './process.ts';

/** Git-ignored home of the embedded development database, kept between runs. */
export const DEV_DATA = path.join(ROOT, '.data');
const META_FILE = path.join(DEV_DATA, 'dev-postgres.json');
/** Who started the running server: `{ pid, command }`. Its exit stops the server (see watchOwner). */
const OWNER_FILE = path.join(DEV_DATA, 'dev-postgres.owner.json');
/** Connection strings for your own scripts: `node --env-file=.data/dev.env script.ts`. */
export const DEV_ENV_FILE = path.join(DEV_DATA, 'dev.env');
const DATABASE = 'acme';

interface Meta {
  port: number;
  password: string;
  /** The acme_app login's password (sessions connect as it, under row-level security). */
  appPassword: string;
}

/** The development server's superuser URL (its `postgres` database) and password. */
export async function devServer(): Promise<{ url: string; password: string }> {
  const { port, password } = await meta();
  return { url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, password };
}

async function meta(): Promise<Meta> {
  const saved = existsSync(META_FILE) ? (JSON.parse(readFileSync(META_FILE, 'utf8')) as Partial<Meta>) : {};
  if (saved.port && saved.password && saved.appPassword) return saved as Meta;
  mkdirSync(DEV_DATA, { recursive: true });
  const fresh: Meta = {
    port: saved.port ?? (await freePort()),
    password: saved.password ?? randomBytes(16).toString('hex'),
    appPassword: randomBytes(16).toString('hex'),
  };
  writeFileSync(META_FILE, JSON.stringify(fresh, null, 2), { mode: 0o600 });
  return fresh;
}

/**
 * The cluster lives in .data/dev-postgres, unless the server's OS user cannot
 * reach it (root in a checkout under /root): then in /var/tmp, one directory
 * per checkout, so the development database still works there.
 */
export function devClusterDir(): string {
  const user = serverOsUser();
  if (canAccess(user, DEV_DATA) || (!existsSync(DEV_DATA) && canAccess(user, ROOT))) {
    return path.join(DEV_DATA, 'dev-postgres');
  }
  const checkout = createHash('sha256').update(ROOT).digest('hex').slice(0, 12);
  return path.join('/var/tmp', `acme-db-dev-${checkout}`, 'dev-postgres');
}

export interface Owner {
  pid: number;
  command: string;
}
/** Who started a running development server (the database, its standby), from its owner file. */
export function readOwner(file: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}
export const claimOwner = (file: string, command: string) =>
  writeFileSync(file, JSON.stringify({ pid: process.pid, command } satisfies Owner));
const owner = () => readOwner(OWNER_FILE);

export interface DevDatabase {
  /** The owner (superuser): migrations, seed, system client. */
  url: string;
  /** The acme_app login: what sessions connect as. */
  appUrl: string;
  /** Whether this process owns the server (started or adopted it, and stops it in release). */
  owned: boolean;
  release(): Promise<void>;
}

/**
 * The development database used when DATABASE_URL is not set: an embedded
 * PostgreSQL 18. Whoever starts it owns it and stops it in `release()`; a
 * watchdog stops it if the owner dies first. Another command meanwhile (say,
 * `pnpm db:migrate` beside `pnpm demo`) shares it and leaves it running. A
 * server whose owner is gone (left by an older version, or a killed watchdog)
 * is adopted.
 */
export async function openDevDatabase(command: string, log: (line: string) => void): Promise<DevDatabase> {
  const { port, password, appPassword } = await meta();
  const serverUrl = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const dataDir = devClusterDir();
  const running = postmasterPid(dataDir);
  const current = owner();
  let owned = true;
  if (running && current && current.pid !== process.pid && isAlive(current.pid)) {
    owned = false;
    log(`using the development database started by \`${current.command}\` (pid ${current.pid}, port ${port})`);
  } else if (running) {
    log(`adopting the development database left running on port ${port}: this command stops it when done`);
    watchOwner(process.pid, running);
  } else {
    log(`DATABASE_URL is not set: starting the embedded development database (port ${port})`);
    if (!dataDir.startsWith(DEV_DATA)) log(`its data lives in ${dataDir}: the postgres OS user cannot reach .data/`);
    await startEmbeddedPostgres({ dataDir, persistent: true, port, password });
  }
  if (owned) claimOwner(OWNER_FILE, command);
  await withClient(serverUrl, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await c.query(`CREATE DATABASE "${DATABASE}"`);
  });
  const login = { user: APP_ROLE, password: appPassword };
  await ensureAppLogin(serverUrl, login);
  const url = withDatabase(serverUrl, DATABASE);
  const release = async () => {
    if (!owned) return;
    const pid = postmasterPid(dataDir);
    if (pid) await stopPostmaster(pid);
    if (owner()?.pid === process.pid) rmSync(OWNER_FILE, { force: true });
  };
  return { url, appUrl: appUrl(url, login), owned, release };
}

/** `pnpm db:dev:stop`: stops the development database whoever started it. */
export async function stopDevDatabase(): Promise<string> {
  const pid = postmasterPid(devClusterDir());
  if (!pid) return 'The development database is not running.';
  const current = owner();
  await stopPostmaster(pid);
  rmSync(OWNER_FILE, { force: true });
  const user = current && isAlive(current.pid) ? ` \`${current.command}\` (pid ${current.pid}) was using it.` : '';
  return `Stopped the development database.${user}`;
}

/** Organization mode on the development server: the central database `DEMO_ORGS=… pnpm demo` uses too. */
export const DEV_CENTRAL_DATABASE = 'acme_central';
/** dev.env and CENTRAL_DATABASE_URL: a file of its own, since that variable turns organization mode on. */
export const DEV_ORGS_ENV_FILE = path.join(DEV_DATA, 'dev-orgs.env');

/**
 * `pnpm db:env`: the development database's connection strings in
 * .data/dev.env (with DATABASE_REPLICA_URLS while its standby runs), and the
 * same plus CENTRAL_DATABASE_URL in .data/dev-orgs.env; both mode 600.
 * Returns the central URL, for a redacted mention.
 */
export async function writeDevEnv(replicaUrl?: string): Promise<{ centralUrl: string }> {
  const { port, password, appPassword } = await meta();
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  const lines = [`DATABASE_URL=${url}`, `APP_DATABASE_URL=${appUrl(url, { user: APP_ROLE, password: appPassword })}`];
  if (replicaUrl) lines.push(`DATABASE_REPLICA_URLS=${replicaUrl}`);
  writeFileSync(DEV_ENV_FILE, `${lines.join('\n')}\n`, { mode: 0o600 });
  const centralUrl = withDatabase(url, DEV_CENTRAL_DATABASE);
  writeFileSync(DEV_ORGS_ENV_FILE, `${[...lines, `CENTRAL_DATABASE_URL=${centralUrl}`].join('\n')}\n`, {
    mode: 0o600,
  });
  return { centralUrl };
}
