/**
 * Soft delete (Patient) on the one-statement path (write-path.ts, audit-cte.ts,
 * soft-delete.ts): an ADMIN delete is `WITH "$m" AS (UPDATE … SET "deletedAt" …
 * WHERE <id> AND "deletedAt" IS NULL …), "$a" AS (INSERT INTO "AuditLog" …)`,
 * one round trip, with the plain path's result (the row as it was), error
 * kinds, audit rows and database state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/index.ts';
import { openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
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
const outcome = (p: () => Promise<unknown>) => outcomeOf(p, normalize);
/** Ids, emails and times differ between the two runs: replaced by their role in the scenario. */
let names = new Map<string, string>();
function normalize(value: unknown): unknown {
  let text = JSON.stringify(value ?? null);
  for (const [real, alias] of names) text = text.split(real).join(alias);
  return JSON.parse(text.replace(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/g, '"<time>"'));
}

async function scenario(db: Db, deletedDb: Db) {
  const tag = uid('sd1');
  const make = async (n: string, extra = {}) => {
    const p = await raw.patient.create({
      data: { name: `${tag}-${n}`, email: `${tag}-${n}@example.com`, clinicId: t.clinicA.id, ...extra },
    });
    names.set(p.id, `<${n}>`);
    return p;
  };
  names = new Map([
    [tag, '<tag>'],
    [t.clinicA.id, '<clinicA>'],
  ]);
  const a = await make('a', { phone: '555', dateOfBirth: new Date('1990-04-05T00:00:00.000Z') });
  const b = await make('b');
  const c = await make('c');
  const out = [
    await outcome(() => db.patient.delete({ where: { id: a.id } })),
    await outcome(() => db.patient.delete({ where: { id: a.id } })), // already deleted: not found
    await outcome(() => db.patient.delete({ where: { id: `${tag}-absent` } })), // not found
    await outcome(() => db.patient.delete({ where: { id: b.id }, select: { id: true, deletedAt: true, name: true } })),
    await outcome(() => deletedDb.patient.delete({ where: { id: c.id } })), // includeDeleted client
    await outcome(() => deletedDb.patient.delete({ where: { id: c.id } })), // a tombstone it can read: refused
  ];
  const ids = [a.id, b.id, c.id];
  const audit = await raw.auditLog.findMany({
    where: { recordId: { in: ids } },
    orderBy: { id: 'asc' },
    select: { actorId: true, actorRole: true, model: true, action: true, recordId: true, before: true, after: true },
  });
  const rows = await raw.patient.findMany({ where: { id: { in: ids } }, orderBy: { name: 'asc' } });
  return {
    out,
    audit: normalize(audit),
    rows: normalize(rows.map((r) => ({ ...r, deletedAt: r.deletedAt && 'set' }))),
  };
}

describe.each([
  [
    'without row-level security',
    (o: { fastPaths: boolean; includeDeleted?: boolean }) => ormOnly.createDb(t.sessions.admin, o),
  ],
  ['with row-level security', (o: { fastPaths: boolean; includeDeleted?: boolean }) => createDb(t.sessions.admin, o)],
])('an ADMIN soft delete %s', (_name, dbFor) => {
  it('gives the plain path’s results, errors, audit rows and rows', async () => {
    const plain = await scenario(dbFor({ fastPaths: false }), dbFor({ fastPaths: false, includeDeleted: true }));
    const fast = await scenario(dbFor({ fastPaths: true }), dbFor({ fastPaths: true, includeDeleted: true }));
    expect(fast).toEqual(plain);
    // The result is the row as it was; the second delete of a tombstone and an absent id are not-found.
    expect(fast.out[0]).toMatchObject({ ok: { name: '<tag>-a', deletedAt: null, phone: '555' } });
    expect(fast.out[3]).toEqual({ ok: { id: '<b>', deletedAt: null, name: '<tag>-b' } });
    for (const i of [1, 2]) expect(fast.out[i]).toMatchObject({ reason: 'not-found' });
    // On the includeDeleted client the tombstone is readable, so refusing it is rejected-by-policy (README: Errors).
    expect(fast.out[5]).toMatchObject({ reason: 'rejected-by-policy' });
    expect(fast.audit).toEqual(
      ['<a>', '<b>', '<c>'].map((id) => ({
        actorId: t.sessions.admin?.id,
        actorRole: 'ADMIN',
        model: 'Patient',
        action: 'delete',
        recordId: id,
        before: { deletedAt: null },
        after: { deletedAt: '<time>' },
      })),
    );
    expect(fast.rows).toHaveLength(3);
    for (const row of fast.rows as { deletedAt: unknown }[]) expect(row.deletedAt).toBe('set');
  });

  it('is one statement, and a delete that finds no live row changes nothing', async () => {
    const db = dbFor({ fastPaths: true });
    const p = await raw.patient.create({
      data: { name: uid('one'), email: `${uid('one')}@example.com`, clinicId: t.clinicA.id },
    });
    await record(() => db.patient.delete({ where: { id: p.id } }));
    const statements = sent.filter((s) => !/^\s*(begin|commit)\b/i.test(s) && !/pg_backend_pid/.test(s));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^WITH "\$m" AS \(update "public"."Patient" set "deletedAt" = /);
    expect(statements[0]).toMatch(/"Patient"."deletedAt" is null/);
    expect(sent.filter((s) => /start transaction/i.test(s))).toEqual([]);
    const before = await snapshot(raw);
    sent.length = 0;
    await expect(record(() => db.patient.delete({ where: { id: p.id } }))).toBeRejectedNotFound();
    expect(sent.filter((s) => /^WITH "\$m"/.test(s))).toHaveLength(1);
    expect(await snapshot(raw)).toEqual(before);
  });
});

describe('soft delete outside the one-statement path', () => {
  it('a STAFF member’s delete is still refused without a write, and ADMIN’s update keeps the plain path', async () => {
    const p = await raw.patient.create({
      data: { name: uid('kept'), email: `${uid('kept')}@example.com`, clinicId: t.clinicA.id },
    });
    const before = await snapshot(raw);
    await expect(createDb(t.sessions.staffA).patient.delete({ where: { id: p.id } })).toBeRejectedByPolicy();
    expect(await snapshot(raw)).toEqual(before);
    await record(() => createDb(t.sessions.admin).patient.update({ where: { id: p.id }, data: { name: 'renamed' } }));
    expect(sent.some((s) => /^\s*start transaction/i.test(s) || /^BEGIN/.test(s))).toBe(true);
  });
});
