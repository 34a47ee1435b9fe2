/**
 * The development database's streaming standby (`pnpm db:dev --standby`,
 * `pnpm demo --standby`): a live base backup of the running development
 * server (standby.ts) beside its data directory, kept between runs like the
 * server itself. The next start resumes it from its replication slot; it is
 * copied anew only when it cannot resume (first run, slot gone or out of WAL,
 * a re-initialised primary). Ownership works as for the database: whoever
 * starts it stops it when done (a watchdog if it dies), others share it, one
 * left running with no live owner is adopted, `pnpm db:dev:stop` stops it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withClient } from '../database.ts';
import { claimOwner, DEV_DATA, devClusterDir, devServer, readOwner } from './dev-database.ts';
import { freePort } from './embedded.ts';
import { isAlive, postmasterPid, stopPostmaster, watchOwner } from './process.ts';
import { startStandby } from './standby.ts';

/** Its name on the primary: replication slot and application_name. */
export const DEV_STANDBY_NAME = 'acme_dev_standby';
const META_FILE = path.join(DEV_DATA, 'dev-standby.json');
const OWNER_FILE = path.join(DEV_DATA, 'dev-standby.owner.json');
/**
 * WAL the slot may hold for a standby that is not running (the server runs
 * without it between `--standby` runs); past it the slot is given up and the
 * next `--standby` start copies the standby anew.
 */
const MAX_SLOT_WAL = '1GB';

export const devStandbyDir = () => path.join(path.dirname(devClusterDir()), 'dev-standby');

function savedPort(): number | undefined {
  try {
    return (JSON.parse(readFileSync(META_FILE, 'utf8')) as { port?: number }).port;
  } catch {
    return undefined;
  }
}

/** The running standby as DATABASE_REPLICA_URLS names it (postgresql://127.0.0.1:<port>), or undefined. */
export function runningDevStandby(): string | undefined {
  const port = savedPort();
  return port && postmasterPid(devStandbyDir()) ? `postgresql://127.0.0.1:${port}` : undefined;
}

export interface DevStandby {
  /** postgresql://127.0.0.1:<port>: the value of DATABASE_REPLICA_URLS. */
  serverUrl: string;
  owned: boolean;
  release(): Promise<void>;
}

/** Starts, shares or adopts the standby of the development server, which must be running. */
export async function openDevStandby(command: string, log: (line: string) => void): Promise<DevStandby> {
  const dataDir = devStandbyDir();
  const running = postmasterPid(dataDir);
  const current = readOwner(OWNER_FILE);
  const shared = running && current && current.pid !== process.pid && isAlive(current.pid);
  let port = savedPort();
  if (running && port) {
    const where = `127.0.0.1:${port}`;
    if (shared) log(`using the standby started by \`${current.command}\` (pid ${current.pid}, ${where})`);
    else {
      log(`adopting the standby left running at ${where}: this command stops it when done`);
      watchOwner(process.pid, running);
    }
  } else {
    if (running) await stopPostmaster(running); // no record of its port: start it again on a known one
    port ??= await freePort();
    mkdirSync(DEV_DATA, { recursive: true });
    writeFileSync(META_FILE, JSON.stringify({ port }));
    const { url, password } = await devServer();
    await capSlotWal(url);
    const standby = await startStandby({
      primaryUrl: url,
      primaryDir: devClusterDir(),
      dataDir,
      password,
      name: DEV_STANDBY_NAME,
      port,
      reuse: true,
      log,
    });
    log(
      `streaming standby of the development database on 127.0.0.1:${port} ` +
        `(${standby.copied ? 'a new live base backup' : 'resumed from its slot'})`,
    );
  }
  const owned = !shared;
  if (owned) claimOwner(OWNER_FILE, command);
  const release = async () => {
    // Not ours any more when db:dev:stop stopped it and another command started it since.
    if (!owned || readOwner(OWNER_FILE)?.pid !== process.pid) return;
    const pid = postmasterPid(dataDir);
    if (pid) await stopPostmaster(pid);
    rmSync(OWNER_FILE, { force: true });
  };
  return { serverUrl: `postgresql://127.0.0.1:${port}`, owned, release };
}

/** Bounds what the slot of a stopped standby keeps on the development server (a reload, no restart). */
async function capSlotWal(primaryUrl: string): Promise<void> {
  await withClient(primaryUrl, async (c) => {
    const { rows } = await c.query("SELECT setting FROM pg_settings WHERE name = 'max_slot_wal_keep_size'");
    if (rows[0]?.setting !== '-1') return; // already bounded
    await c.query(`ALTER SYSTEM SET max_slot_wal_keep_size = '${MAX_SLOT_WAL}'`);
    await c.query('SELECT pg_reload_conf()');
  });
}

/** `pnpm db:dev:stop`: stops the standby whoever started it (its data and slot stay for the next run). */
export async function stopDevStandby(): Promise<string | undefined> {
  const pid = postmasterPid(devStandbyDir());
  if (!pid) return undefined;
  const current = readOwner(OWNER_FILE);
  await stopPostmaster(pid);
  rmSync(OWNER_FILE, { force: true });
  const user = current && isAlive(current.pid) ? ` \`${current.command}\` (pid ${current.pid}) was using it.` : '';
  return `Stopped the development standby.${user}`;
}
