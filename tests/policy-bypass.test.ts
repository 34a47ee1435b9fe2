/** No way around the rules from a session client: escape hatches, Kysely, relations, aggregates. */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, PolicyBypassError } from '../src/index.ts';
import { arrangeLinked, openUnrestrictedDb, SESSION_NAMES, SESSIONS, snapshot } from './support/fixtures.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
beforeAll(async () => {
  await arrangeLinked(raw);
  await arrangeLinked(raw);
});

const HATCHES = [
  '$qbRaw',
  '$queryRaw',
  '$queryRawUnsafe',
  '$executeRaw',
  '$executeRawUnsafe',
  '$unuse',
  '$unuseAll',
  '$use',
  '$setAuth',
  '$setOptions',
  '$setInputValidation',
  '$pushSchema',
  '$disconnect',
];

describe.each(SESSION_NAMES)('as %s', (session) => {
  const db = () => createDb(SESSIONS[session]);

  it('has no escape hatch on the client, nor on a transaction client', async () => {
    for (const member of HATCHES) {
      expect(() => (db() as Record<string, unknown>)[member], member).toThrow(PolicyBypassError);
      expect(member in db()).toBe(false);
    }
    await db().$transaction(async (tx) => {
      expect(() => (tx as Record<string, unknown>).$qbRaw).toThrow(PolicyBypassError);
      expect(() => (tx as Record<string, unknown>).$unuseAll).toThrow(PolicyBypassError);
    });
  });

  it('gets only readable rows through Kysely ($qb), and cannot write through it', async () => {
    const all = await raw.clinic.count();
    const rows = await db().$qb.selectFrom('Clinic').select(['id']).execute();
    expect(rows).toHaveLength(session === 'anonymous' ? 0 : all);
    const before = await snapshot(raw);
    if (session !== 'admin') {
      await expect(
        db()
          .$qb.insertInto('Clinic')
          .values({ id: 'qb', name: 'QB', code: 'QB', updatedAt: new Date().toISOString() })
          .execute(),
      ).rejects.toThrow();
      await db()
        .$qb.updateTable('Clinic')
        .set({ name: 'qb-hacked' })
        .execute()
        .catch(() => undefined);
      await db()
        .$qb.deleteFrom('TreatmentsByClinic')
        .execute()
        .catch(() => undefined);
      await expect(db().$qb.executeQuery(sql`DELETE FROM "TreatmentsByClinic"`.compile(db().$qb))).rejects.toThrow();
      expect(await snapshot(raw)).toEqual(before);
    }
  });

  it('cannot see more through include, select, _count, aggregate or groupBy', async () => {
    const visible = session === 'anonymous' ? 0 : await raw.treatmentsByClinic.count();
    const viaInclude = await db().clinic.findMany({ include: { treatmentsByClinic: true } });
    expect(viaInclude.flatMap((c) => c.treatmentsByClinic)).toHaveLength(visible);
    const viaSelect = await db().treatment.findMany({ select: { treatmentsByClinic: { select: { id: true } } } });
    expect(viaSelect.flatMap((t) => t.treatmentsByClinic)).toHaveLength(visible);
    const viaCount = await db().clinic.findMany({ select: { _count: { select: { treatmentsByClinic: true } } } });
    expect(viaCount.reduce((n, c) => n + c._count.treatmentsByClinic, 0)).toBe(visible);
    expect((await db().treatmentsByClinic.aggregate({ _count: { _all: true } }))._count._all).toBe(visible);
    const groups = await db().treatmentsByClinic.groupBy({ by: ['clinicId'], _count: { _all: true } });
    expect(groups.reduce((n, g) => n + g._count._all, 0)).toBe(visible);
  });
});
