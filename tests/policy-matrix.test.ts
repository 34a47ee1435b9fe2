/**
 * The spec's policy table, stated in full:
 *
 * | Model              | Read          | Create | Update | Delete |
 * | Clinic             | Authenticated | ADMIN  | ADMIN  | ADMIN  |
 * | Treatment          | Authenticated | ADMIN  | ADMIN  | ADMIN  |
 * | TreatmentsByClinic | Authenticated | ADMIN  | ADMIN  | ADMIN  |
 *
 * for 4 sessions x 3 models x every operation and its *Many form. Who may do
 * what is read from the rules as data (tests/policy-fuzz/rules-oracle.ts),
 * the same statement the randomized suite and the demo's matrix use. After
 * every denied write the database is read back through a client without rules.
 */
import Decimal from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/index.ts';
import { foldOperation } from '../src/rules/index.ts';
import { schema } from '../zenstack/schema.ts';
import { may, type Session } from './policy-fuzz/rules-oracle.ts';
import {
  arrangeLinked,
  dec,
  openUnrestrictedDb,
  SESSION_NAMES,
  SESSIONS,
  type SessionName,
  snapshot,
  uid,
} from './support/fixtures.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

type ModelName = 'clinic' | 'treatment' | 'treatmentsByClinic';
type Row = { id: string } & Record<string, unknown>;
// The three delegates share these signatures; typing them once keeps the table generic.
interface Delegate {
  findMany(args?: object): Promise<Row[]>;
  findUnique(args: object): Promise<Row | null>;
  findFirst(args?: object): Promise<Row | null>;
  count(args?: object): Promise<number>;
  aggregate(args: object): Promise<{ _count: number }>;
  create(args: object): Promise<Row>;
  createMany(args: object): Promise<{ count: number }>;
  createManyAndReturn(args: object): Promise<Row[]>;
  update(args: object): Promise<Row>;
  updateMany(args: object): Promise<{ count: number }>;
  upsert(args: object): Promise<Row>;
  delete(args: object): Promise<Row>;
  deleteMany(args: object): Promise<{ count: number }>;
}
const delegate = (client: unknown, model: ModelName) => (client as Record<ModelName, Delegate>)[model];

interface ModelCase {
  model: ModelName;
  /** Data for a new row; arranges whatever it references. */
  newData(): Promise<Record<string, unknown>>;
  patch: Record<string, unknown>;
  /** A row the test may delete without tripping a foreign key. */
  deletable(): Promise<Row>;
}

const CASES: ModelCase[] = [
  {
    model: 'clinic',
    newData: async () => ({ name: uid('Clinic'), code: uid('C') }),
    patch: { name: 'Renamed clinic' },
    deletable: () => raw.clinic.create({ data: { name: uid('Clinic'), code: uid('C') } }),
  },
  {
    model: 'treatment',
    newData: async () => ({ name: uid('Treatment'), price: dec('42.00') }),
    patch: { description: 'Changed' },
    deletable: () => raw.treatment.create({ data: { name: uid('Treatment'), price: dec('1.00') } }),
  },
  {
    model: 'treatmentsByClinic',
    newData: async () => {
      const clinic = await raw.clinic.create({ data: { name: uid('Clinic'), code: uid('C') } });
      const treatment = await raw.treatment.create({ data: { name: uid('Treatment'), price: dec('5.00') } });
      return { clinicId: clinic.id, treatmentId: treatment.id, notes: 'new link' };
    },
    patch: { notes: 'Changed' },
    deletable: async () => (await arrangeLinked(raw)).link,
  },
];

const oracleSession = (s: SessionName): Session => {
  const session = SESSIONS[s];
  return session && { ...session, memberships: [] };
};
// These models' rules read only the session, so any row stands for all of them.
const canWrite = (s: SessionName, model: ModelName) =>
  (['create', 'update', 'delete'] as const).every((op) => may(oracleSession(s), model, op, {}));
const canRead = (s: SessionName, model: ModelName) => may(oracleSession(s), model, 'read', {});
/** Refused whatever the row (the session alone decides it): rejected-by-policy for any id, readable or not. */
const refusedForAnyRow = (s: SessionName, model: ModelName, action: 'update' | 'delete') =>
  foldOperation(schema, model.charAt(0).toUpperCase() + model.slice(1), action, oracleSession(s)) === false;

beforeAll(async () => {
  for (let i = 0; i < 3; i++) await arrangeLinked(raw);
});

describe.each(CASES)('$model', (c) => {
  describe.each(SESSION_NAMES)('as %s', (session) => {
    const db = () => delegate(createDb(SESSIONS[session]), c.model);
    const table = () => delegate(raw, c.model);

    it(`reads ${canRead(session, c.model) ? 'every row' : 'nothing'} through find*, count and aggregate`, async () => {
      const all = await table().findMany({ orderBy: { id: 'asc' } });
      expect(all.length).toBeGreaterThan(0);
      const first = all[0] as Row;
      const seen = await db().findMany({ orderBy: { id: 'asc' } });
      expect(seen.map((r) => r.id)).toEqual(canRead(session, c.model) ? all.map((r) => r.id) : []);
      const unique = db().findUnique({ where: { id: first.id } });
      if (canRead(session, c.model)) await expect(unique).resolves.toMatchObject({ id: first.id });
      else await expect(unique).toResolveNull();
      await (canRead(session, c.model)
        ? expect(db().findFirst({ where: { id: first.id } })).toResolveTruthy()
        : expect(db().findFirst({ where: { id: first.id } })).toResolveNull());
      expect(await db().count()).toBe(canRead(session, c.model) ? all.length : 0);
      expect((await db().aggregate({ _count: true }))._count).toBe(canRead(session, c.model) ? all.length : 0);
    });

    it(`${canWrite(session, c.model) ? 'creates' : 'cannot create'} (create, createMany, createManyAndReturn)`, async () => {
      const [one, two, three] = [await c.newData(), await c.newData(), await c.newData()];
      const before = await snapshot(raw);
      if (canWrite(session, c.model)) {
        const created = await db().create({ data: one });
        expect(money(await table().findUnique({ where: { id: created.id } }))).toMatchObject(money(one as Row) ?? {});
        expect(await db().createMany({ data: [two] })).toEqual({ count: 1 });
        const returned = await db().createManyAndReturn({ data: [three] });
        expect(returned).toHaveLength(1);
        expect(await table().count()).toBe(countOf(before, c.model) + 3);
      } else {
        await expect(db().create({ data: one })).toBeRejectedByPolicy();
        await expect(db().createMany({ data: [two] })).toBeRejectedByPolicy();
        await expect(db().createManyAndReturn({ data: [three] })).toBeRejectedByPolicy();
        expect(await snapshot(raw)).toEqual(before);
      }
    });

    it(`${canWrite(session, c.model) ? 'updates' : 'cannot update'} (update, updateMany, upsert)`, async () => {
      const target = await c.deletable();
      const before = await snapshot(raw);
      if (canWrite(session, c.model)) {
        await expect(db().update({ where: { id: target.id }, data: c.patch })).resolves.toMatchObject(c.patch);
        expect(await db().updateMany({ where: { id: target.id }, data: c.patch })).toEqual({ count: 1 });
        await db().upsert({ where: { id: target.id }, create: await c.newData(), update: c.patch });
        expect(await table().findUnique({ where: { id: target.id } })).toMatchObject(c.patch);
      } else {
        // Refused by the rule when the session may update no row, or may read this one; else "not found".
        const refusedUpdate = expect(db().update({ where: { id: target.id }, data: c.patch }));
        await (refusedForAnyRow(session, c.model, 'update') || canRead(session, c.model)
          ? refusedUpdate.toBeRejectedByPolicy()
          : refusedUpdate.toBeRejectedNotFound());
        expect(await db().updateMany({ where: { id: target.id }, data: c.patch })).toEqual({ count: 0 });
        expect(await db().updateMany({ data: c.patch })).toEqual({ count: 0 });
        // Not updatable, so upsert takes its create branch, which is denied too.
        await expect(
          db().upsert({ where: { id: target.id }, create: await c.newData(), update: c.patch }),
        ).toBeRejectedByPolicy();
        const after = await snapshot(raw);
        // upsert's create branch may have arranged referenced rows via newData(); compare this model only.
        expect(rowsOf(after, c.model)).toEqual(rowsOf(before, c.model));
      }
    });

    it(`${canWrite(session, c.model) ? 'deletes' : 'cannot delete'} (delete, deleteMany)`, async () => {
      const [a, b] = [await c.deletable(), await c.deletable()];
      const before = await snapshot(raw);
      if (canWrite(session, c.model)) {
        await expect(db().delete({ where: { id: a.id } })).resolves.toMatchObject({ id: a.id });
        expect(await db().deleteMany({ where: { id: b.id } })).toEqual({ count: 1 });
        expect(await table().count({ where: { id: { in: [a.id, b.id] } } })).toBe(0);
      } else {
        const refusedDelete = expect(db().delete({ where: { id: a.id } }));
        await (refusedForAnyRow(session, c.model, 'delete') || canRead(session, c.model)
          ? refusedDelete.toBeRejectedByPolicy()
          : refusedDelete.toBeRejectedNotFound());
        expect(await db().deleteMany({ where: { id: b.id } })).toEqual({ count: 0 });
        expect(await db().deleteMany({})).toEqual({ count: 0 });
        expect(await snapshot(raw)).toEqual(before);
      }
    });
  });
});

/** Decimal columns as the 2-digit strings they were written as. */
const money = (row: Row | null) =>
  row && Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Decimal.isDecimal(v) ? v.toFixed(2) : v]));

type Snapshot = Awaited<ReturnType<typeof snapshot>>;
const KEY = { clinic: 'clinics', treatment: 'treatments', treatmentsByClinic: 'links' } as const;
const rowsOf = (s: Snapshot, model: ModelName) => s[KEY[model]];
const countOf = (s: Snapshot, model: ModelName) => rowsOf(s, model).length;
