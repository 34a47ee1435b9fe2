/**
 * A real streaming standby of a running embedded PostgreSQL 18, made with
 * what the npm package ships (initdb, pg_ctl, postgres: no pg_basebackup, and
 * Debian's PostgreSQL 15 pg_basebackup cannot copy an 18 server). A
 * non-exclusive low-level base backup, so the primary keeps running and
 * serving: `pg_backup_start()` on one held connection, a file copy of the
 * data directory, `pg_backup_stop()`, whose `backup_label` the copy gets. The
 * copy starts as a hot standby (`standby.signal`, `primary_conninfo` as a
 * replication login) streaming from a physical slot reserved before the
 * backup began, so the primary keeps every WAL segment the copy needs.
 * Used by `pnpm db:dev --standby` / `pnpm demo --standby` (dev-standby.ts)
 * and by the replica tests and bench (tests/support/standby.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { withClient } from '../database.ts';
import { freePort, startEmbeddedPostgres } from './embedded.ts';
import { isAlive, postmasterPid, serverOsUser, stopPostmaster } from './process.ts';

/** The login the standby streams as (REPLICATION, no superuser). */
export const REPLICATION_ROLE = 'acme_replicator';

export interface StandbyOptions {
  /** Superuser URL of the primary (any database). */
  primaryUrl: string;
  /** The primary's data directory (on this machine: the copy is a file copy). */
  primaryDir: string;
  /** The standby's data directory; replaced by a fresh base backup unless `reuse` finds it usable. */
  dataDir: string;
  /** The primary's superuser password: the standby has the same roles. */
  password: string;
  /** Its name on the primary: application_name and replication slot. */
  name: string;
  port?: number;
  /** Extra server settings for the standby's postgresql.auto.conf, e.g. "log_statement = 'all'". */
  settings?: string[];
  /**
   * Start the standby already in `dataDir` when its slot is still on the primary with its WAL (a
   * development standby kept between runs); otherwise, or when it does not stream, take a new backup.
   */
  reuse?: boolean;
  fast?: boolean;
  /** The process whose exit stops the standby (watchOwner); this one by default. */
  ownerPid?: number;
  log?: (line: string) => void;
}

export interface Standby {
  /** Superuser URL of the standby's `postgres` database. */
  url: string;
  /** The server alone, as DATABASE_REPLICA_URLS names it: postgresql://127.0.0.1:<port>. */
  serverUrl: string;
  port: number;
  dataDir: string;
  /** Whether this start took a new base backup (false: an existing standby resumed streaming). */
  copied: boolean;
  /** Immediate shutdown (SIGQUIT to the postmaster): sessions cut off, no checkpoint, like a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port; it recovers and resumes streaming. */
  start(): Promise<void>;
  /** Fast shutdown. The data directory and the slot stay (`dropStandby` removes both). */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a base backup leaves out (PostgreSQL docs, "Making a Base Backup Using
 * the Low Level API", and pg_basebackup's own list): WAL (streamed from the
 * slot instead), the primary's slots and runtime state, its pid file, and our
 * server.log. Directories in EMPTIED are created empty.
 */
const EMPTIED = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);
const SKIPPED = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'server.log',
  'backup_label',
  'tablespace_map',
  'standby.signal',
  'recovery.signal',
  'postgresql.auto.conf.tmp',
  'current_logfiles.tmp',
]);
const PG_CONTROL = path.join('global', 'pg_control');

/** Copies a live data directory; files that vanish meanwhile (a dropped table, a temp file) are skipped. */
function copyLive(from: string, to: string, own: (file: string) => void, rel = ''): void {
  const makeDir = (dir: string) => {
    mkdirSync(dir, { mode: 0o700 });
    own(dir);
  };
  makeDir(to);
  let entries: string[];
  try {
    entries = readdirSync(from);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const entry of entries) {
    const name = path.join(rel, entry);
    if ((rel === '' && SKIPPED.has(entry)) || name === PG_CONTROL) continue; // pg_control: copied last
    if (entry.startsWith('pgsql_tmp') || entry.startsWith('pg_internal.init')) continue;
    const src = path.join(from, entry);
    const dst = path.join(to, entry);
    try {
      const stat = lstatSync(src);
      if (stat.isDirectory()) {
        if (rel === '' && EMPTIED.has(entry)) {
          makeDir(dst);
          // pg_wal's own subdirectories (archive_status, summaries) are expected to exist, empty.
          if (entry === 'pg_wal') for (const sub of subdirectories(src)) makeDir(path.join(dst, sub));
        } else copyLive(src, dst, own, name);
      } else if (stat.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
      else {
        copyFileSync(src, dst); // keeps the mode bits
        own(dst);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

const subdirectories = (dir: string) => readdirSync(dir).filter((e) => lstatSync(path.join(dir, e)).isDirectory());

/** The replication login with a new password, and a pg_hba.conf line for it on 127.0.0.1 unless one exists. */
async function allowReplication(c: pg.Client, password: string): Promise<void> {
  const role = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [REPLICATION_ROLE]);
  const verb = role.rowCount ? 'ALTER' : 'CREATE';
  await c.query(`${verb} ROLE ${REPLICATION_ROLE} WITH LOGIN REPLICATION PASSWORD '${password}'`); // hex only
  const { rowCount } = await c.query(
    `SELECT 1 FROM pg_hba_file_rules WHERE type = 'host' AND 'replication' = ANY(database)
       AND ('all' = ANY(user_name) OR $1 = ANY(user_name)) AND address = '127.0.0.1' AND auth_method <> 'reject'`,
    [REPLICATION_ROLE],
  );
  if (rowCount) return; // initdb's default file allows replication from 127.0.0.1 already
  const { rows } = await c.query('SHOW hba_file');
  appendFileSync(rows[0].hba_file, `host replication ${REPLICATION_ROLE} 127.0.0.1/32 scram-sha-256\n`);
  await c.query('SELECT pg_reload_conf()');
}

/** Until the standby streams from the primary (not merely started): replication is then live. */
export async function waitForStreaming(primaryUrl: string, name: string, timeoutMs = 30_000): Promise<void> {
  const sql = "SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'";
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50)) {
    if ((await withClient(primaryUrl, (c) => c.query(sql, [name]))).rowCount) return;
  }
  throw new Error(`the standby ${name} did not start streaming within ${timeoutMs / 1000} s`);
}

/** Whether the primary still holds the slot `name` with the WAL its standby needs. */
async function slotUsable(primaryUrl: string, name: string): Promise<boolean> {
  const sql = "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND coalesce(wal_status, '') <> 'lost'";
  return Boolean((await withClient(primaryUrl, (c) => c.query(sql, [name]))).rowCount);
}

/** Drops the (inactive) slot `name` on the primary, so it stops holding WAL. */
export async function dropStandbySlot(primaryUrl: string, name: string): Promise<void> {
  const sql =
    'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active';
  await withClient(primaryUrl, (c) => c.query(sql, [name]));
}

/** Takes a base backup of the running primary into `opts.dataDir`, configured as its standby. */
async function baseBackup(opts: StandbyOptions): Promise<void> {
  const user = serverOsUser();
  const own = (file: string) => user && chownSync(file, user.uid, user.gid);
  const write = (file: string, text: string) => {
    writeFileSync(path.join(opts.dataDir, file), text, { mode: 0o600 });
    own(path.join(opts.dataDir, file));
  };
  const replicationPassword = randomBytes(16).toString('hex');
  rmSync(opts.dataDir, { recursive: true, force: true });
  mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  await withClient(opts.primaryUrl, async (c) => {
    await allowReplication(c, replicationPassword);
    await dropStandbySlot(opts.primaryUrl, opts.name); // a previous standby's: its WAL is not needed now
    // Reserved now, before the backup's checkpoint: the primary keeps all WAL the copy will replay.
    await c.query('SELECT pg_create_physical_replication_slot($1, true)', [opts.name]);
    // Non-exclusive: the backup lasts as long as this connection; the primary keeps running meanwhile.
    await c.query("SELECT pg_backup_start('acme-standby', true)");
    let files: { labelfile: string; spcmapfile: string | null };
    try {
      copyLive(opts.primaryDir, opts.dataDir, own);
      // Last, as pg_basebackup sends it: recovery starts from backup_label's checkpoint regardless.
      copyFileSync(path.join(opts.primaryDir, PG_CONTROL), path.join(opts.dataDir, PG_CONTROL));
      own(path.join(opts.dataDir, PG_CONTROL));
    } finally {
      const { rows } = await c.query('SELECT labelfile, spcmapfile FROM pg_backup_stop(false)');
      files = rows[0];
    }
    write('backup_label', files.labelfile);
    if (files.spcmapfile) write('tablespace_map', files.spcmapfile);
    write('standby.signal', '');
    const primaryPort = new URL(opts.primaryUrl).port;
    const conninfo = `host=127.0.0.1 port=${primaryPort} user=${REPLICATION_ROLE} password=${replicationPassword} application_name=${opts.name}`;
    const settings = [
      `primary_conninfo = '${conninfo}'`,
      `primary_slot_name = '${opts.name}'`,
      ...(opts.settings ?? []),
    ];
    appendFileSync(path.join(opts.dataDir, 'postgresql.auto.conf'), `${settings.join('\n')}\n`);
  });
}

const isStandbyDir = (dir: string) =>
  existsSync(path.join(dir, 'PG_VERSION')) && existsSync(path.join(dir, 'standby.signal'));

/**
 * A streaming hot standby of the running primary, resolved once it streams.
 * With `reuse`, an existing standby in `dataDir` whose slot is intact is
 * started as it is; else (or if it does not stream) a new base backup is taken.
 */
export async function startStandby(opts: StandbyOptions): Promise<Standby> {
  const port = opts.port ?? (await freePort());
  const launch = () =>
    startEmbeddedPostgres({
      dataDir: opts.dataDir,
      persistent: true, // the data directory outlives a stop (kill/start, the dev standby)
      port,
      password: opts.password,
      fast: opts.fast,
      ownerPid: opts.ownerPid,
    });
  const stopServer = async () => {
    const pid = postmasterPid(opts.dataDir);
    if (pid) await stopPostmaster(pid);
  };
  let copied = false;
  if (opts.reuse && isStandbyDir(opts.dataDir) && (await slotUsable(opts.primaryUrl, opts.name))) {
    try {
      await launch();
      await waitForStreaming(opts.primaryUrl, opts.name);
    } catch (err) {
      await stopServer();
      opts.log?.(`the standby in ${opts.dataDir} did not resume (${(err as Error).message}): copying it anew`);
      copied = true;
    }
  } else copied = true;
  if (copied) {
    await baseBackup(opts);
    await launch();
    await waitForStreaming(opts.primaryUrl, opts.name);
  }
  return {
    url: `postgresql://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${port}/postgres`,
    serverUrl: `postgresql://127.0.0.1:${port}`,
    port,
    dataDir: opts.dataDir,
    copied,
    async kill() {
      const pid = postmasterPid(opts.dataDir);
      if (!pid) return;
      process.kill(pid, 'SIGQUIT');
      while (isAlive(pid)) await sleep(20);
    },
    async start() {
      await launch();
      await waitForStreaming(opts.primaryUrl, opts.name);
    },
    stop: stopServer,
  };
}

/** Stops the standby if it runs, drops its slot (the primary may be gone already) and removes its data. */
export async function dropStandby(standby: Standby, primaryUrl: string, name: string): Promise<void> {
  await standby.stop();
  await dropStandbySlot(primaryUrl, name).catch(() => {});
  rmSync(standby.dataDir, { recursive: true, force: true });
}
