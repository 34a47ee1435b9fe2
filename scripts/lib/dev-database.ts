import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withClient, withDatabase } from './database.ts';
import { freePort, startEmbeddedPostgres } from './embedded-postgres.ts';
import { appUrl, ensureAppLogin } from './rls/app-role.ts';
import { ROOT } from './tool-env.ts';

/** Git-ignored home of the embedded development database, kept between runs. */
export const DEV_DATA = path.join(ROOT, '.data');
const CLUSTER_DIR = path.join(DEV_DATA, 'dev-postgres');
const META_FILE = path.join(DEV_DATA, 'dev-postgres.json');
const DATABASE = 'acme';

interface Meta {
  port: number;
  password: string;
  /** The acme_app login's password (sessions connect as it, under row-level security). */
  appPassword: string;
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

const reachable = (url: string) => withClient(url, async () => true).catch(() => false);

export interface DevDatabase {
  /** The owner (superuser): migrations, seed, system client. */
  url: string;
  /** The acme_app login: what sessions connect as. */
  appUrl: string;
  /** Whether this process started the server (and so stops it in release). */
  started: boolean;
  release(): Promise<void>;
}

/**
 * The development database used when DATABASE_URL is not set: an embedded
 * PostgreSQL 18 under .data/dev-postgres. If it is already running (say,
 * `pnpm demo` in another terminal) it is shared and left running; otherwise
 * it is started for this process and stopped by `release()`.
 */
export async function openDevDatabase(log: (line: string) => void = console.log): Promise<DevDatabase> {
  const { port, password, appPassword } = await meta();
  const serverUrl = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const url = withDatabase(serverUrl, DATABASE);
  let stop = async () => {};
  const started = !(await reachable(serverUrl));
  if (started) {
    log(`DATABASE_URL is not set: starting the embedded development database (.data/dev-postgres, port ${port})`);
    const server = await startEmbeddedPostgres({ dataDir: CLUSTER_DIR, persistent: true, port, password });
    stop = () => server.stop();
  } else {
    log(`DATABASE_URL is not set: using the running embedded development database (port ${port})`);
  }
  await withClient(serverUrl, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await c.query(`CREATE DATABASE "${DATABASE}"`);
  });
  const login = { user: 'acme_app', password: appPassword };
  await ensureAppLogin(serverUrl, login);
  return { url, appUrl: appUrl(url, login), started, release: stop };
}
