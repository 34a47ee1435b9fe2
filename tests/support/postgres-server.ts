import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningPostgres, startEmbeddedPostgres } from '../../scripts/lib/embedded-postgres.ts';
import { redactUrl } from '../../src/config.ts';

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
