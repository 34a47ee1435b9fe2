/**
 * The compiled-query cache with a real streaming standby: a hit is a read
 * like the plain path's, routed by the same rules (replica unless the client
 * asked for the primary), under the session's row-level security there.
 */
import { parseSessionUser } from '@acme/auth';
import { describe, expect, it } from 'vitest';
import { createDb, poolStats } from '../../src/index.ts';
import { uid } from '../support/fixtures.ts';
import { arrangeTenancy } from '../support/tenancy.ts';
import { caughtUp, replicatedDb, routed, untilReplicaServes } from './replicated-db.ts';

const db = replicatedDb();
const hits = () => poolStats()?.queryCache.hits ?? 0;

describe('query cache hits and read replicas', () => {
  it('a hit is answered by the standby, and by the primary for a { primary: true } client', async () => {
    const clinics: { id: string; code: string }[] = [];
    for (let i = 0; i < 3; i++) clinics.push(await db.raw.clinic.create({ data: { name: uid('QC'), code: uid('Q') } }));
    await caughtUp(db);
    const session = parseSessionUser({ id: 'qc-user', role: 'USER' });
    const user = createDb(session);
    await untilReplicaServes(() => user.clinic.findUnique({ where: { id: 'warm-up' } }));
    for (const clinic of clinics) {
      const before = hits();
      const { value, statements } = await routed(() => user.clinic.findUnique({ where: { id: clinic.id } }));
      expect(hits()).toBe(before + 1);
      expect(value?.code).toBe(clinic.code);
      expect(statements).toEqual([expect.objectContaining({ kind: 'read', replica: true })]);
    }
    const primary = createDb(session, { primary: true });
    await primary.clinic.findUnique({ where: { id: 'warm-up' } });
    const before = hits();
    const { value, statements } = await routed(() => primary.clinic.findUnique({ where: { id: clinics[0]?.id } }));
    expect(hits()).toBe(before + 1);
    expect(value?.id).toBe(clinics[0]?.id);
    expect(statements).toEqual([expect.objectContaining({ kind: 'read', replica: false, reason: 'requested' })]);
  });

  it('hits on the standby see exactly the rows row-level security gives each session', async () => {
    const t = await arrangeTenancy(db.raw);
    await caughtUp(db);
    for (const name of ['staffA', 'staffB', 'staffAB', 'admin'] as const) {
      const replica = createDb(t.sessions[name]);
      const onPrimary = createDb(t.sessions[name], { primary: true });
      await untilReplicaServes(() => replica.patient.findMany({ where: { clinicId: 'warm-up' } }));
      for (const clinic of [t.clinicA, t.clinicB]) {
        const expected = await onPrimary.patient.findMany({ where: { clinicId: clinic.id }, orderBy: { id: 'asc' } });
        const before = hits();
        const { value, statements } = await routed(() =>
          replica.patient.findMany({ where: { clinicId: clinic.id }, orderBy: { id: 'asc' } }),
        );
        expect(statements.map((s) => s.replica)).toEqual([true]);
        expect(value).toEqual(expected);
        expect(hits()).toBeGreaterThanOrEqual(before + (clinic === t.clinicB ? 1 : 0));
      }
    }
  });
});
