/**
 * One statement per decided write (src/fast-path/write-path.ts, audit-cte.ts,
 * src/driver/connection.ts) against the plain ZenStack path: the same results,
 * errors, audit rows and database state, in one round trip instead of five.
 */
import { CompiledQuery, type DatabaseConnection } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeDialect } from '../src/driver/index.ts';
import { createDb } from '../src/index.ts';
import { withScope } from '../src/operation-scope.ts';
import { dec, openUnrestrictedDb, uid } from './support/fixtures.ts';
import { ormOnlyRuntime, outcomeOf } from './support/plain-path.ts';
import { recordSentSqlWithin } from './support/sent-sql.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const ADMIN = { id: 'wp-admin', role: 'ADMIN' } as const;

// What the application's pg clients send, per test (the database stays real).
const { sent, record } = recordSentSqlWithin();

// Without row-level security (its policies would hide a dropped rule), and with it (createDb's default here).
const ormOnly = ormOnlyRuntime();

type Db = ReturnType<typeof createDb>;
/** The outcome of a call, with the run's id prefix taken out so that two runs compare equal. */
const outcome = (prefix: string, p: () => Promise<unknown>) => outcomeOf(p, (v) => normalize(prefix, v));
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
function normalize(prefix: string, value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))
      .split(prefix)
      .join('<run>')
      .replace(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/g, '"<time>"'),
  );
}

/** Every kind of single and bulk write the fast path takes, and two that fail. */
async function scenario(db: Db, p: string) {
  const out: unknown[] = [];
  const step = async (f: () => Promise<unknown>) => out.push(await outcome(p, f));
  await step(() =>
    db.treatment.create({
      data: { id: `${p}-t1`, name: 'T1', price: dec('12.30'), maintenanceIntervalMonths: 6 },
    }),
  );
  await step(() => db.treatment.update({ where: { id: `${p}-t1` }, data: { price: dec('15'), description: 'd' } }));
  await step(() => db.treatment.update({ where: { id: `${p}-t1` }, data: { maintenanceIntervalMonths: null } }));
  await step(() => db.treatment.update({ where: { id: `${p}-t1` }, data: { name: 'T1' }, select: { name: true } }));
  await step(() => db.treatment.update({ where: { id: `${p}-none` }, data: { name: 'x' } })); // not found
  await step(() =>
    db.treatment.upsert({ where: { id: `${p}-t1` }, create: { name: 'no', price: dec('1') }, update: { name: 'U' } }),
  );
  await step(() =>
    db.treatment.upsert({
      where: { id: `${p}-u2` },
      create: { id: `${p}-u2`, name: 'U2', price: dec('2.25') },
      update: { name: 'no' },
    }),
  );
  await step(() =>
    db.treatment.createMany({
      data: [1, 2, 3].map((i) => ({ id: `${p}-m${i}`, name: `M${i}`, price: dec(`${i}.5`) })),
    }),
  );
  await step(() =>
    db.treatment.updateMany({ where: { id: { in: [`${p}-m1`, `${p}-m2`] } }, data: { price: dec('7') } }),
  );
  await step(() => db.treatment.deleteMany({ where: { id: { in: [`${p}-m2`, `${p}-m3`] } } }));
  await step(() => db.clinic.create({ data: { id: `${p}-c`, name: 'C', code: `${p}-code` } }));
  await step(() => db.clinic.create({ data: { name: 'dup', code: `${p}-code` } })); // unique violation
  await step(() =>
    db.clinicMembership.create({ data: { id: `${p}-cm`, userId: `${p}-u`, clinicId: `${p}-c`, role: 'STAFF' } }),
  );
  await step(() =>
    db.clinicMembership.update({
      where: { userId_clinicId: { userId: `${p}-u`, clinicId: `${p}-c` } },
      data: { role: 'VIEWER' },
    }),
  );
  await step(() => db.clinicMembership.delete({ where: { id: `${p}-cm` } }));
  await step(() => db.treatment.delete({ where: { id: `${p}-t1` } }));
  await step(() => db.treatment.delete({ where: { id: `${p}-t1` } })); // gone
  return out;
}

async function auditOf(p: string) {
  const rows = await raw.auditLog.findMany({
    where: { recordId: { startsWith: p } },
    orderBy: { id: 'asc' },
    select: { actorId: true, actorRole: true, model: true, action: true, recordId: true, before: true, after: true },
  });
  for (const row of rows) {
    for (const side of [row.before, row.after] as Record<string, unknown>[]) {
      for (const v of Object.values(side ?? {})) if (typeof v === 'string' && /^\d{4}-/.test(v)) expect(v).toMatch(ISO);
    }
  }
  return normalize(p, rows);
}

const state = async (p: string) =>
  normalize(p, {
    treatments: await raw.treatment.findMany({ where: { id: { startsWith: p } }, orderBy: { id: 'asc' } }),
    clinics: await raw.clinic.findMany({ where: { code: { startsWith: p } }, orderBy: { id: 'asc' } }),
  });

describe.each([
  ['without row-level security', false, (fast: boolean) => ormOnly.createDb(ADMIN, { fastPaths: fast })],
  ['with row-level security', true, (fast: boolean) => createDb(ADMIN, { fastPaths: fast })],
])('decided writes %s', (_name, rls, dbFor) => {
  it('give the plain path’s results, errors, audit rows and database state', async () => {
    const plain = uid('wpp');
    const fast = uid('wpf');
    const plainOut = await scenario(dbFor(false), plain);
    const fastOut = await scenario(dbFor(true), fast);
    expect(fastOut).toEqual(plainOut);
    expect(fastOut.filter((o) => 'error' in (o as object))).toHaveLength(3);
    const audit = await auditOf(fast);
    expect(audit).toEqual(await auditOf(plain));
    expect(audit).toHaveLength(18); // every write that succeeded, one row per record
    expect(await state(fast)).toEqual(await state(plain));
  });

  it('send one statement per single-row write and per createMany, no BEGIN/COMMIT', async () => {
    const p = uid('wp1');
    const db = dbFor(true);
    await record(() => db.treatment.create({ data: { id: `${p}-a`, name: 'A', price: dec('1') } }));
    await record(() => db.treatment.update({ where: { id: `${p}-a` }, data: { name: 'B' } }));
    await record(() =>
      db.treatment.createMany({ data: Array.from({ length: 50 }, (_, i) => ({ name: `${p}-${i}`, price: dec('1') })) }),
    );
    await record(() => db.treatment.delete({ where: { id: `${p}-a` } }));
    const statements = sent.filter((s) => !/^\s*(begin|start transaction|commit)/i.test(s));
    expect(statements).toHaveLength(4);
    // ZenStack's BEGIN/COMMIT are gone. With row-level security a statement carries the session as
    // `BEGIN; set_config(…)`, statement, `COMMIT`, pipelined by the driver (one round trip) unless its
    // connection holds that session already (direct connections cache it, src/driver/session-cache.ts;
    // through PgBouncer every statement carries it).
    expect(sent.filter((s) => /^\s*start transaction\b/i.test(s))).toEqual([]);
    const contexts = sent.filter((s) => /^BEGIN; SELECT set_config/.test(s)).length;
    if (!rls) expect(contexts).toBe(0);
    else if (process.env.TEST_APP_VIA) expect(contexts).toBe(4);
    else expect(contexts).toBeLessThanOrEqual(1);
    expect(sent.filter((s) => /^\s*commit\b/i.test(s))).toHaveLength(contexts);
    for (const s of statements) expect(s).toMatch(/^with "\$m" as \((insert|update|delete)/i);
    const many = await raw.treatment.findMany({ where: { name: { startsWith: p } }, select: { id: true } });
    expect(many).toHaveLength(50);
    const ids = [`${p}-a`, ...many.map((t) => t.id)];
    expect(await raw.auditLog.count({ where: { recordId: { in: ids } } })).toBe(53);
  });
});

describe('concurrent decided writes share pooled connections', () => {
  it('60 at once: each write and its audit row land, no connection is left in a transaction', async () => {
    const p = uid('wpc');
    const db = ormOnly.createDb(ADMIN);
    const ids = Array.from({ length: 60 }, (_, i) => `${p}-${i}`);
    await Promise.all(ids.map((id) => db.treatment.create({ data: { id, name: id, price: dec('1') } })));
    await Promise.all(ids.map((id) => db.treatment.update({ where: { id }, data: { name: `${id}!` } })));
    // A mix with writes that keep their transaction (a nested create), on the same pool.
    await Promise.all(
      ids
        .slice(0, 10)
        .map((id) => db.clinic.create({ data: { id, name: id, code: id, memberships: { create: { userId: id } } } })),
    );
    expect(await raw.treatment.count({ where: { id: { in: ids }, name: { endsWith: '!' } } })).toBe(60);
    expect(await raw.auditLog.count({ where: { recordId: { in: ids } } })).toBe(130);
    const idle = await raw.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`,
    );
    expect(idle[0]?.n).toBe(0);
  });
});

describe('the plain path stays for what the rules do not decide', () => {
  it('inside $transaction: the statements keep their transaction (a later failure rolls the write back)', async () => {
    const p = uid('wptx');
    const db = ormOnly.createDb(ADMIN);
    await expect(
      db.$transaction(async (tx) => {
        await tx.treatment.create({ data: { id: `${p}-a`, name: 'A', price: dec('1') } });
        await tx.clinic.create({ data: { name: 'C', code: '' } }); // invalid: @length(1, 32)
      }),
    ).rejects.toMatchObject({ reason: 'invalid-input' });
    expect(await raw.treatment.count({ where: { id: `${p}-a` } })).toBe(0);
    expect(await raw.auditLog.count({ where: { recordId: `${p}-a` } })).toBe(0);
  });

  it('a nested write or a USER write keeps the plain path (policy checks and read-back)', async () => {
    const p = uid('wpn');
    const db = ormOnly.createDb(ADMIN);
    await record(() =>
      db.clinic.create({ data: { id: `${p}-c`, name: 'C', code: p, memberships: { create: { userId: 'u' } } } }),
    );
    expect(sent.some((s) => /^start transaction/i.test(s))).toBe(true);
    expect(await raw.auditLog.count({ where: { recordId: { startsWith: `${p}-c` } } })).toBe(1);
  });
});

describe('lazy BEGIN (src/driver/connection.ts) on a real connection', () => {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  const driver = new AcmeDialect({
    primary: pool,
    sessionContext: false,
    pipelined: false,
    lazyBegin: true,
    prepared: false,
    slowMs: 0,
  }).createDriver();
  const run = (c: DatabaseConnection, sql: string) => c.executeQuery(CompiledQuery.raw(sql));
  beforeAll(() => pool.query('CREATE TABLE IF NOT EXISTS "lazy_begin_probe" (x int)'));
  afterAll(async () => {
    await pool.query('DROP TABLE "lazy_begin_probe"');
    await pool.end();
  });
  const count = async () => Number((await pool.query('SELECT count(*) FROM "lazy_begin_probe"')).rows[0].count);
  const inTransaction = async () =>
    // This test database's backends only: other files' servers and databases run beside it.
    (
      await pool.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE $1',
        ['idle in transaction%'],
      )
    ).rows[0].n as number;

  it('a transaction begun lazily still rolls back', async () => {
    const before = await count();
    const c = await driver.acquireConnection();
    try {
      await driver.beginTransaction(c, { isolationLevel: 'read committed' });
      await run(c, 'INSERT INTO "lazy_begin_probe" VALUES (1)');
      const seen = await run(c, 'SELECT count(*)::int AS n FROM "lazy_begin_probe"');
      expect(seen.rows[0]).toEqual({ n: before + 1 });
      await driver.rollbackTransaction(c);
    } finally {
      await driver.releaseConnection(c);
    }
    expect(await count()).toBe(before);
    expect(await inTransaction()).toBe(0);
  });

  it('a whole-transaction statement runs alone; a second one is refused, not run outside the transaction', async () => {
    const before = await count();
    const c = await driver.acquireConnection();
    try {
      await driver.beginTransaction(c, { isolationLevel: 'read committed' });
      await withScope({ whole: true }, () => run(c, 'INSERT INTO "lazy_begin_probe" VALUES (2)'));
      await expect(run(c, 'INSERT INTO "lazy_begin_probe" VALUES (3)')).rejects.toThrow(/second statement/);
      await driver.commitTransaction(c);
    } finally {
      await driver.releaseConnection(c);
    }
    expect(await count()).toBe(before + 1);
  });

  it('a transaction with nothing sent sends neither BEGIN nor COMMIT', async () => {
    await record(async () => {
      const c = await driver.acquireConnection();
      await driver.beginTransaction(c, {});
      await driver.commitTransaction(c);
      await driver.releaseConnection(c);
    });
    expect(sent).toEqual([]);
  });
});
