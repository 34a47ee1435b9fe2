/**
 * bench/orgs.ts's fixtures: a server of its own (max_connections raised for cap 200), the central
 * database with N organizations registered, and M of them with a real, migrated database (copies of
 * one template, each holding one clinic whose code is its organization's slug).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { createScratchDatabase, withClient, withDatabase } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';
import { CENTRAL_SCHEMA } from '../tooling/migrate/schema-targets.ts';
import { eachBounded } from '../tooling/orgs/each-bounded.ts';
import { startEmbeddedPostgres } from '../tooling/postgres/embedded.ts';
import { appUrl, ensureAppLogin } from '../tooling/rls/app-role.ts';

export const slugOf = (i: number) => `org-${i}`;
export const CLINIC_ID = 'bench-clinic';

export interface OrgsFixture {
  url: string;
  prefix: string;
  central: string;
  templateUrl: string;
  login: { user: string; password: string };
  appUrlOf: (url: string) => string;
  /** The environment organization mode reads, for a cap. */
  env: (cap: number) => Record<string, string | undefined>;
  stop: () => Promise<void>;
}

/** A server with room for the largest cap; the data directory goes with it. */
async function startServer(maxConnections: number) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'acme-bench-orgs-'));
  const password = randomBytes(12).toString('hex');
  const opts = { dataDir, persistent: true, password, fast: true };
  let server = await startEmbeddedPostgres(opts);
  await withClient(server.url, async (c) => {
    await c.query(`ALTER SYSTEM SET max_connections = ${maxConnections}`);
    // 1,000 databases: the checkpointer should not be what is measured.
    await c.query(`ALTER SYSTEM SET shared_buffers = '256MB'`);
  });
  await server.stop();
  // Not persistent from here on: the watchdog removes the ~8 GB data directory if this process is killed.
  server = await startEmbeddedPostgres({ ...opts, persistent: false });
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function orgsFixture(registered: number, withDb: number, maxConnections: number): Promise<OrgsFixture> {
  const server = await startServer(maxConnections);
  const prefix = `bench${randomBytes(3).toString('hex')}_`;
  const login = { user: 'acme_app', password: randomBytes(12).toString('hex') };
  await ensureAppLogin(server.url, login);
  const central = await createScratchDatabase(server.url, 'bench_central');
  await deployMigrations(central, { quiet: true, target: CENTRAL_SCHEMA });
  const template = `${prefix}template`;
  await withClient(server.url, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(template)}`));
  const templateUrl = withDatabase(server.url, template);
  await deployMigrations(templateUrl, { quiet: true });
  const started = Date.now();
  // FILE_COPY: with fsync off a copy is a directory copy (WAL_LOG, the default, writes every page to the WAL).
  await eachBounded(
    Array.from({ length: withDb }, (_, i) => i),
    2,
    (i) =>
      withClient(server.url, async (c) => {
        const db = `${prefix}o${i}`;
        await c.query(
          `CREATE DATABASE ${pg.escapeIdentifier(db)} TEMPLATE ${pg.escapeIdentifier(template)} STRATEGY FILE_COPY`,
        );
        await withClient(withDatabase(server.url, db), (o) =>
          o.query(`INSERT INTO "Clinic" (id, name, code, "updatedAt") VALUES ($1, $2, $2, now())`, [
            CLINIC_ID,
            slugOf(i),
          ]),
        );
      }),
  );
  console.log(`  (${withDb} organization databases created in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  await withClient(central, (c) =>
    c.query(
      `INSERT INTO "Organization" (id, slug, name, "dbName", "updatedAt")
       SELECT 'o' || i, 'org-' || i, 'Org ' || i, $1 || 'o' || i, now() FROM generate_series(0, $2 - 1) AS i`,
      [prefix, registered],
    ),
  );
  const appUrlOf = (url: string) => appUrl(url, login);
  return {
    url: server.url,
    prefix,
    central,
    templateUrl,
    login,
    appUrlOf,
    env: (cap) => ({
      ...process.env,
      CENTRAL_DATABASE_URL: central,
      APP_DATABASE_URL: appUrlOf(central),
      DB_MAX_CONNECTIONS_TOTAL: String(cap),
      DB_APPLICATION_NAME: `${prefix}app`,
      DB_POOL_TIMEOUT_MS: '60000',
      ORG_DIRECTORY_TTL_MS: '600000',
    }),
    stop: server.stop,
  };
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after a full collection (bytes). */
export function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
export const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
};

/** Samples how many server connections `user` holds on databases named `prefix…`, until stopped (the peak). */
export function watchConnections(url: string, user: string, prefix: string) {
  let maxSeen = 0;
  let sampling = true;
  const watcher = new pg.Client({ connectionString: url });
  const done = (async () => {
    await watcher.connect();
    while (sampling) {
      const { rows } = await watcher.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND datname LIKE $2',
        [user, `${prefix}%`],
      );
      maxSeen = Math.max(maxSeen, rows[0]?.n ?? 0);
      await new Promise((r) => setTimeout(r, 5));
    }
    await watcher.end();
  })();
  return {
    stop: async () => {
      sampling = false;
      await done;
      return maxSeen;
    },
  };
}
