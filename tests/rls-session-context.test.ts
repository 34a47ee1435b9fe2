/**
 * The session reaches PostgreSQL per statement in a transaction-local
 * setting: concurrent users on one pool never see each other's rows, and
 * nothing is left on a pooled connection afterwards.
 */
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeDialect } from '../src/driver/index.ts';
import { createDb } from '../src/index.ts';
import { withScope } from '../src/operation-scope.ts';
import { AUTH_SETTING } from '../src/rls/names.ts';
import { authJson } from '../src/rls/session-context.ts';
import { openUnrestrictedDb, uid } from './support/fixtures.ts';
import { arrangeTenancy, type Tenancy, type TenancySession } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
  // More patients per clinic, so a leak would show as extra rows.
  for (const clinicId of [t.clinicA.id, t.clinicB.id]) {
    await raw.patient.createMany({
      data: Array.from({ length: 5 }, () => ({ name: uid('P'), email: `${uid('e')}@x.io`, clinicId })),
    });
  }
});

describe('concurrent sessions through one pool', () => {
  it('400 interleaved requests as 5 different users each see exactly their own rows', async () => {
    const users: TenancySession[] = ['staffA', 'staffB', 'viewerA', 'anonymous', 'admin'];
    const expected = new Map<TenancySession, string>();
    for (const u of users) {
      const where =
        u === 'admin'
          ? {}
          : u === 'anonymous'
            ? { id: 'none' }
            : { clinicId: u === 'staffB' ? t.clinicB.id : t.clinicA.id };
      const ids = (await raw.patient.findMany({ where: { ...where, deletedAt: null }, select: { id: true } })).map(
        (p) => p.id,
      );
      expected.set(u, ids.sort().join(','));
    }
    const results = await Promise.all(
      Array.from({ length: 400 }, async (_, i) => {
        const u = users[i % users.length] as TenancySession;
        const db = createDb(t.sessions[u]);
        // Mix plain reads with transactions, as an API would.
        const rows =
          i % 3 === 0
            ? await db.$transaction(async (tx) => tx.patient.findMany({ select: { id: true } }))
            : await db.patient.findMany({ select: { id: true } });
        return [
          u,
          rows
            .map((r) => r.id)
            .sort()
            .join(','),
        ] as const;
      }),
    );
    const wrong = results.filter(([u, ids]) => expected.get(u) !== ids);
    expect(wrong).toEqual([]);
  });
});

describe('nothing stays on a pooled connection', () => {
  /** The driver over a one-connection pool, as the runtime builds it for the app role. */
  const driverOn = (pool: pg.Pool, lazyBegin: boolean) =>
    new AcmeDialect({
      primary: pool,
      sessionContext: true,
      pipelined: false,
      lazyBegin,
      prepared: false,
      slowMs: 0,
    }).createDriver();

  it('a plain query after a request on the same connection sees nothing and no setting', async () => {
    const pool = new pg.Pool({ connectionString: process.env.APP_DATABASE_URL, max: 1 });
    try {
      const driver = driverOn(pool, true);
      const admin = authJson(t.sessions.admin);
      // As Kysely does it: acquire, execute, release.
      const c = await driver.acquireConnection();
      const count = CompiledQuery.raw('SELECT count(*)::int AS n FROM "Patient"');
      const inRequest = await withScope({ auth: admin }, () => c.executeQuery<{ n: number }>(count));
      await driver.releaseConnection(c);
      expect(inRequest.rows[0]?.n).toBeGreaterThan(0);
      // Same (only) connection, no context: the transaction-local setting is gone.
      const after = await pool.query(
        `SELECT count(*)::int AS n, current_setting('${AUTH_SETTING}', true) AS auth FROM "Patient"`,
      );
      expect(after.rows[0]).toMatchObject({ n: 0 });
      expect(after.rows[0].auth ?? '').toBe('');
    } finally {
      await pool.end();
    }
  });

  for (const lazyBegin of [true, false]) {
    it(`inside a transaction the context is set once and ends with it (lazy BEGIN ${lazyBegin ? 'on' : 'off'})`, async () => {
      const pool = new pg.Pool({ connectionString: process.env.APP_DATABASE_URL, max: 1 });
      const driver = driverOn(pool, lazyBegin);
      const c = await driver.acquireConnection();
      const setting = CompiledQuery.raw(`SELECT current_setting('${AUTH_SETTING}', true) AS auth`);
      try {
        await driver.beginTransaction(c, {});
        const staff = authJson(t.sessions.staffB);
        const inside = await withScope({ auth: staff }, () => c.executeQuery<{ auth: string }>(setting));
        expect(JSON.parse(inside.rows[0]?.auth ?? '{}')).toMatchObject({ id: t.sessions.staffB.id });
        const backend = await pool.totalCount;
        expect(backend).toBe(1);
        await driver.commitTransaction(c);
        const outside = await c.executeQuery<{ auth: string | null }>(setting);
        expect(outside.rows[0]?.auth ?? '').toBe('');
      } finally {
        await driver.releaseConnection(c);
        await pool.end();
      }
    });
  }

  it('an auth value that looks like SQL stays a value', async () => {
    const evil = {
      id: `x'); SELECT set_config('${AUTH_SETTING}', '{"role":"ADMIN"}', false); --`,
      role: 'USER',
    } as const;
    expect(await createDb(evil).clinicMembership.findMany()).toEqual([]);
    expect(await createDb(evil).patient.count()).toBe(0);
  });
});
