/**
 * Faults around the connection: a backend killed mid-query, a server restart,
 * an exhausted pool, a statement timeout, a failing transaction. This file
 * runs its own PostgreSQL (it restarts it) with a small pool and short limits.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, createDb, isRetriable, ORMError, poolStats } from '../../src/index.ts';
import { APP_ROLE } from '../../src/rls/names.ts';
import { createScratchDatabase } from '../../tooling/database.ts';
import { deployMigrations } from '../../tooling/migrate/migrate.ts';
import { freePort, type RunningPostgres, startEmbeddedPostgres } from '../../tooling/postgres/embedded.ts';
import { appUrl, ensureAppLogin } from '../../tooling/rls/app-role.ts';
import { openUnrestrictedDb, SESSIONS, snapshot } from '../support/fixtures.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'acme-faults-'));
const password = randomBytes(8).toString('hex');
let port = 0;
let server: RunningPostgres;
const start = async () => {
  server = await startEmbeddedPostgres({ dataDir, persistent: true, port, password, fast: true });
};
let raw: ReturnType<typeof openUnrestrictedDb>;

beforeAll(async () => {
  port = await freePort();
  await start();
  const url = await createScratchDatabase(server.url, 'acme_faults');
  await deployMigrations(url, { quiet: true });
  const login = { user: APP_ROLE, password };
  await ensureAppLogin(server.url, login);
  await closeDb();
  Object.assign(process.env, {
    DATABASE_URL: url,
    APP_DATABASE_URL: appUrl(url, login), // sessions under row-level security, as in production
    DB_POOL_MAX: '3',
    DB_POOL_TIMEOUT_MS: '500',
    DB_STATEMENT_TIMEOUT_MS: '1500',
  });
  raw = openUnrestrictedDb();
  await raw.clinic.create({ data: { name: 'Fault clinic', code: 'F1' } });
});

afterAll(async () => {
  await raw?.$disconnect();
  await closeDb();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Holds an exclusive lock on "Clinic" from a separate connection until released. */
async function lockClinics() {
  const locker = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE "Clinic" IN ACCESS EXCLUSIVE MODE');
  return {
    locker,
    release: async () => {
      await locker.query('ROLLBACK');
      await locker.end();
    },
  };
}

async function settle(p: Promise<unknown>) {
  try {
    return { value: await p, error: undefined };
  } catch (error) {
    return { value: undefined, error };
  }
}

describe('connection faults', () => {
  it('a backend terminated mid-query is a clear, retriable error, and the same client works next', async () => {
    const db = createDb(SESSIONS.user);
    // A connection must exist first: a new backend's startup can itself wait on the lock.
    expect(await db.clinic.count()).toBe(1);
    const { locker, release } = await lockClinics();
    const query = settle(db.clinic.findMany());
    let pid: number | undefined;
    await expect
      .poll(
        async () => {
          const { rows } = await locker.query(
            `SELECT pid FROM pg_stat_activity WHERE application_name = 'acme-db' AND wait_event_type = 'Lock'`,
          );
          pid = rows[0]?.pid;
          return pid;
        },
        { timeout: 10_000 },
      )
      .toBeTruthy();
    await locker.query('SELECT pg_terminate_backend($1)', [pid]);
    const { error } = await query;
    await release();
    expect(error).toBeInstanceOf(ORMError);
    expect(isRetriable(error)).toBe(true);
    expect(await db.clinic.findMany()).toHaveLength(1);
  });

  it('enforces the configured statement timeout with a clear error', async () => {
    expect(await createDb(SESSIONS.user).clinic.count()).toBe(1);
    const { release } = await lockClinics();
    const started = Date.now();
    const { error } = await settle(createDb(SESSIONS.user).clinic.count());
    const waited = Date.now() - started;
    await release();
    expect((error as ORMError).dbErrorCode).toBe('57014');
    expect(String((error as Error).message)).toMatch(/statement timeout/);
    expect(waited).toBeGreaterThanOrEqual(1400);
    expect(await createDb(SESSIONS.user).clinic.count()).toBe(1);
  });

  it('fails fast with a timeout when the pool is exhausted, then recovers', async () => {
    let releaseAll: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      releaseAll = resolve;
    });
    const holders = Array.from({ length: 3 }, () =>
      createDb(SESSIONS.admin).$transaction(async (tx) => {
        await tx.clinic.count();
        await gate;
      }),
    );
    await expect.poll(() => poolStats()?.idle === 0 && poolStats()?.total === 3, { timeout: 10_000 }).toBe(true);
    const { error } = await settle(createDb(SESSIONS.user).clinic.count());
    expect(String((error as Error)?.message)).toMatch(/timeout/i);
    expect(isRetriable(error)).toBe(true);
    releaseAll();
    await Promise.all(holders);
    expect(await createDb(SESSIONS.user).clinic.count()).toBe(1);
  });

  it('an error thrown inside $transaction leaves nothing behind', async () => {
    const before = await snapshot(raw);
    const { error } = await settle(
      createDb(SESSIONS.admin).$transaction(async (tx) => {
        const c = await tx.clinic.create({ data: { name: 'Tx', code: 'TX1' } });
        await tx.treatment.create({ data: { name: 'Tx treatment', price: '1.00' as never } });
        await tx.treatmentsByClinic.create({ data: { clinicId: c.id, treatmentId: 'missing' } });
      }),
    );
    expect(error).toBeTruthy();
    expect(await snapshot(raw)).toEqual(before);
  });

  it('the pool recovers after PostgreSQL restarts', async () => {
    const db = createDb(SESSIONS.user);
    expect(await db.clinic.count()).toBe(1);
    await server.stop();
    const down = await settle(db.clinic.count());
    expect(isRetriable(down.error)).toBe(true);
    await start();
    // Connections that died with the server may fail once; a retry gets a fresh one.
    let count: unknown;
    for (let attempt = 0; attempt < 3 && count === undefined; attempt++) {
      const res = await settle(db.clinic.count());
      if (res.error && !isRetriable(res.error)) throw res.error;
      count = res.value;
    }
    expect(count).toBe(1);
    expect(poolStats()?.waiting).toBe(0);
  });
});
