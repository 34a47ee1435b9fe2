/**
 * A decided upsert in one statement (src/fast-path/write-path.ts, upsert-key.ts,
 * src/audit/upsert-cte.ts): `WITH "$old" AS (SELECT … FOR UPDATE), "$m" AS
 * (INSERT … ON CONFLICT … DO UPDATE … RETURNING *), "$a" AS (INSERT INTO
 * "AuditLog" …)`, against the plain path: the same results, error kinds, audit
 * rows (create vs update, before/after) and rows read back, with and without
 * row-level security.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/index.ts';
import { dec, openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { ormOnlyRuntime, outcomeOf } from './support/plain-path.ts';
import { recordSentSqlWithin } from './support/sent-sql.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const { sent, record } = recordSentSqlWithin();
const ormOnly = ormOnlyRuntime();

let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

type Db = ReturnType<typeof createDb>;
const outcome = (p: string, f: () => Promise<unknown>) => outcomeOf(f, (v) => normalize(p, v));
function normalize(p: string, value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value ?? null)
      .split(p)
      .join('<run>')
      .split(t.clinicA.id)
      .join('<clinicA>')
      .replace(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/g, '"<time>"'),
  );
}

/** Inserts, updates, compound and field keys, fallbacks and refusals. */
async function scenario(db: Db, user: Db, p: string) {
  await raw.treatment.create({ data: { id: `${p}-t`, name: 'T', price: dec('1.50'), description: 'old' } });
  await raw.clinic.create({ data: { id: `${p}-taken`, name: 'Taken', code: `${p}-taken` } });
  const out: unknown[] = [];
  const step = async (f: () => Promise<unknown>) => out.push(await outcome(p, f));
  const tr = (id: string, create: object, update: object, extra = {}) =>
    db.treatment.upsert({ where: { id }, create: { id, name: 'new', price: dec('2'), ...create }, update, ...extra });
  await step(() => tr(`${p}-t`, {}, { name: 'U', price: dec('3.25') })); // update
  await step(() => tr(`${p}-n`, { maintenanceIntervalMonths: 6 }, { name: 'no' })); // insert
  await step(() => tr(`${p}-n`, {}, { description: null }, { select: { id: true, description: true } })); // update
  await step(() => tr(`${p}-t`, { price: dec('-1') }, { name: 'V' })); // create breaks a CHECK; the row exists
  await step(() => tr(`${p}-c`, { price: dec('-1') }, { name: 'W' })); // create breaks a CHECK: 23514
  await step(() => tr(`${p}-t`, {}, { price: dec('-5') })); // update breaks a CHECK: 23514
  await step(() =>
    db.clinic.upsert({
      where: { code: `${p}-k` },
      create: { id: `${p}-k`, name: 'K', code: `${p}-k` },
      update: { name: 'no' },
    }),
  );
  await step(() =>
    db.clinic.upsert({ where: { code: `${p}-k` }, create: { name: 'no', code: `${p}-k` }, update: { name: 'K2' } }),
  );
  await step(() =>
    db.clinic.upsert({ where: { id: `${p}-x` }, create: { name: 'X', code: `${p}-taken` }, update: { name: 'no' } }),
  ); // a conflict on another unique key: 23505
  const m = { userId_clinicId: { userId: `${p}-u`, clinicId: t.clinicA.id } };
  const mc = { id: `${p}-m`, userId: `${p}-u`, clinicId: t.clinicA.id };
  await step(() => db.clinicMembership.upsert({ where: m, create: mc, update: { role: 'VIEWER' } })); // insert
  await step(() => db.clinicMembership.upsert({ where: m, create: mc, update: { role: 'VIEWER' } })); // update
  // create names another id than where (not provable: two statements), and refusals by the rules.
  await step(() => tr(`${p}-t`, { id: `${p}-other` }, { name: 'Z' }));
  await step(() =>
    user.treatment.upsert({ where: { id: `${p}-t` }, create: { name: 'u', price: dec('1') }, update: {} }),
  );
  await step(() =>
    user.treatment.upsert({
      where: { id: `${p}-new` },
      create: { id: `${p}-new`, name: 'u', price: dec('1') },
      update: { name: 'u' },
    }),
  );
  const audit = await raw.auditLog.findMany({
    where: { recordId: { startsWith: p } },
    orderBy: { id: 'asc' },
    select: { actorId: true, actorRole: true, model: true, action: true, recordId: true, before: true, after: true },
  });
  const rows = {
    treatments: await raw.treatment.findMany({ where: { id: { startsWith: p } }, orderBy: { id: 'asc' } }),
    clinics: await raw.clinic.findMany({ where: { code: { startsWith: p } }, orderBy: { id: 'asc' } }),
    memberships: await raw.clinicMembership.findMany({ where: { userId: { startsWith: p } } }),
  };
  return { out, audit: normalize(p, audit), rows: normalize(p, rows) };
}

describe.each([
  ['without row-level security', (fast: boolean, s = t.sessions.admin) => ormOnly.createDb(s, { fastPaths: fast })],
  ['with row-level security', (fast: boolean, s = t.sessions.admin) => createDb(s, { fastPaths: fast })],
])('an ADMIN upsert %s', (_name, dbFor) => {
  it('gives the plain path’s results, errors, audit rows and rows', async () => {
    const plain = await scenario(dbFor(false), dbFor(false, t.sessions.staffA), uid('upp'));
    const fast = await scenario(dbFor(true), dbFor(true, t.sessions.staffA), uid('upf'));
    expect(fast).toEqual(plain);
    const [updated, inserted, selected, checkOk, checkNew, checkUpdate] = fast.out as Record<string, unknown>[];
    expect(updated).toMatchObject({ ok: { id: '<run>-t', name: 'U', price: '3.25', description: 'old' } });
    expect(inserted).toMatchObject({ ok: { id: '<run>-n', name: 'new', maintenanceIntervalMonths: 6 } });
    expect(selected).toEqual({ ok: { id: '<run>-n', description: null } });
    expect(checkOk).toMatchObject({ ok: { name: 'V', price: '3.25' } });
    for (const e of [checkNew, checkUpdate]) expect(e).toMatchObject({ reason: 'db-query-error', code: '23514' });
    expect(fast.out[8]).toMatchObject({ reason: 'db-query-error', code: '23505' });
    // A USER's upsert with nothing to update only reads the row (no write, no audit); a real one is refused.
    expect(fast.out[12]).toMatchObject({ ok: { id: '<run>-t', name: 'Z' } });
    expect(fast.out[13]).toMatchObject({ reason: 'rejected-by-policy' });
    const actions = (fast.audit as { action: string; recordId: string }[]).map((a) => `${a.action} ${a.recordId}`);
    expect(actions).toEqual([
      'update <run>-t',
      'create <run>-n',
      'update <run>-n',
      'update <run>-t',
      'create <run>-k',
      'update <run>-k',
      'create <run>-m',
      'update <run>-m',
      'update <run>-t',
    ]);
    expect((fast.audit as unknown[])[0]).toMatchObject({
      before: { name: 'T', price: '1.50', updatedAt: '<time>' },
      after: { name: 'U', price: '3.25', updatedAt: '<time>' },
    });
    expect((fast.audit as { after: object }[])[1]?.after).toMatchObject({ id: '<run>-n', createdAt: '<time>' });
  });

  it('is one statement whether it inserts or updates; a refused one writes nothing', async () => {
    const db = dbFor(true);
    const id = uid('ups1');
    const call = (name: string) =>
      db.treatment.upsert({ where: { id }, create: { id, name, price: dec('1') }, update: { name } });
    await record(() => call('first'));
    await record(() => call('second'));
    const statements = sent.filter((s) => !/^\s*(begin|commit)\b/i.test(s) && !/pg_backend_pid/.test(s));
    expect(statements).toHaveLength(2);
    for (const s of statements) {
      expect(s).toMatch(/^WITH "\$old" AS \(\(select .* for update\)\), "\$m" AS \(insert into "public"."Treatment"/);
      expect(s).toMatch(/on conflict \("id"\) do update set .* where EXISTS \(SELECT 1 FROM "\$old"/);
    }
    expect(sent.filter((s) => /^\s*start transaction/i.test(s))).toEqual([]);
    expect(await raw.treatment.findUnique({ where: { id } })).toMatchObject({ name: 'second' });
    const audit = await raw.auditLog.findMany({ where: { recordId: id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.before, (a.after as { name?: string }).name])).toEqual([
      ['create', null, 'first'],
      ['update', { name: 'first', updatedAt: expect.any(String) }, 'second'],
    ]);
    const before = await snapshot(raw);
    const user = dbFor(true, t.sessions.staffA);
    await expect(
      user.treatment.upsert({ where: { id }, create: { id, name: 'x', price: dec('1') }, update: { name: 'x' } }),
    ).toBeRejectedByPolicy();
    expect(await snapshot(raw)).toEqual(before);
  });
});

describe('concurrent upserts of one new key', () => {
  it('both succeed, one creates and one updates, with their audit rows (20 keys)', async () => {
    const db = ormOnly.createDb(t.sessions.admin);
    for (let i = 0; i < 20; i++) {
      const id = uid(`upc${i}`);
      const call = (name: string) =>
        db.treatment.upsert({ where: { id }, create: { id, name, price: dec('1') }, update: { name } });
      const results = await Promise.all([call('a'), call('b')]);
      expect(results.map((r) => r.id)).toEqual([id, id]);
      const row = await raw.treatment.findUniqueOrThrow({ where: { id } });
      const audit = await raw.auditLog.findMany({ where: { recordId: id }, orderBy: { id: 'asc' } });
      expect(audit.map((a) => a.action)).toEqual(['create', 'update']);
      const [created, updated] = audit as unknown as { after: { name: string }; before: { name: string } | null }[];
      // The update's before is the row the create wrote; its after is the row as it stands.
      expect(updated?.before?.name).toBe(created?.after.name);
      expect(updated?.after.name).toBe(row.name);
    }
  });
});
