/**
 * The database the replica tests run on: a scratch database on a primary
 * with a streaming standby (tests/support/standby.ts), deployed like every
 * test database, with DATABASE_REPLICA_URLS naming the standby. Also the
 * tools the tests observe routing with: the diagnostics channel the router
 * publishes each statement on, and raw superuser connections to both servers.
 */
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll } from 'vitest';
import { closeDb } from '../../src/index.ts';
import { ROUTED_CHANNEL, type RoutedStatement } from '../../src/replicas/replica-set.ts';
import { createScratchDatabase, databaseName, withClient, withDatabase } from '../../tooling/database.ts';
import { deployMigrations } from '../../tooling/migrate/migrate.ts';
import { appUrl, ensureAppLogin } from '../../tooling/rls/app-role.ts';
import { openUnrestrictedDb, type UnrestrictedDb } from '../support/fixtures.ts';
import { type ReplicatedCluster, startReplicatedCluster } from '../support/standby.ts';

export interface ReplicatedDb {
  cluster: ReplicatedCluster;
  /** Owner URL of the test database on the primary. */
  url: string;
  /** Superuser URL of the same database on the standby. */
  standbyUrl: string;
  /** Unrestricted client on the primary, for arranging rows and reading them back. */
  raw: UnrestrictedDb;
}

/** Registers the file's setup and teardown; the returned object is filled in before the first test. */
export function replicatedDb(env: Record<string, string> = {}): ReplicatedDb {
  const db = {} as ReplicatedDb;
  beforeAll(async () => {
    db.cluster = await startReplicatedCluster();
    db.url = await createScratchDatabase(db.cluster.primary.url, 'acme_replicas');
    await deployMigrations(db.url, { quiet: true });
    const login = { user: 'acme_app', password: randomBytes(8).toString('hex') };
    await ensureAppLogin(db.cluster.primary.url, login);
    await closeDb();
    Object.assign(process.env, {
      DATABASE_URL: db.url,
      APP_DATABASE_URL: appUrl(db.url, login),
      DATABASE_REPLICA_URLS: db.cluster.standby.serverUrl,
      ...env,
    });
    db.standbyUrl = withDatabase(db.cluster.standby.url, databaseName(db.url));
    db.raw = openUnrestrictedDb();
    await caughtUp(db);
  }, 120_000);
  afterAll(async () => {
    await db.raw?.$disconnect();
    await closeDb();
    delete process.env.DATABASE_REPLICA_URLS;
    await db.cluster?.stop();
  }, 60_000);
  return db;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until the standby has replayed everything the primary has written so far. */
export async function caughtUp(db: ReplicatedDb): Promise<void> {
  const sql = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';
  const { rows } = await withClient(db.url, (c) => c.query(sql));
  const target = rows[0].lsn as string;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(20)) {
    const done = await withClient(db.standbyUrl, (c) =>
      c.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [target]),
    );
    if (done.rows[0].done) return;
  }
  throw new Error('the standby did not catch up within 20 s');
}

/** Runs SQL as superuser on the standby's test database (replay control, its own view of the data). */
export const onStandby = (db: ReplicatedDb, sql: string) => withClient(db.standbyUrl, (c) => c.query(sql));

/** The statements the router sends while `fn` runs, as it reports them on its diagnostics channel. */
export async function routed<T>(fn: () => Promise<T>): Promise<{ value: T; statements: RoutedStatement[] }> {
  const statements: RoutedStatement[] = [];
  const listener = (message: unknown) => void statements.push(message as RoutedStatement);
  diagnostics.subscribe(ROUTED_CHANNEL, listener);
  try {
    return { value: await fn(), statements };
  } finally {
    diagnostics.unsubscribe(ROUTED_CHANNEL, listener);
  }
}

/** Repeats `read` until the replica answers it (the monitor has seen the standby up and fresh enough). */
export async function untilReplicaServes(read: () => Promise<unknown>, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(25)) {
    const { statements } = await routed(read);
    if (statements.some((s) => s.replica)) return;
  }
  throw new Error(`no read was served by the replica within ${timeoutMs} ms`);
}
