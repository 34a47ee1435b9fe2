/**
 * A refused update or delete of a row the session can read is rejected-by-policy, naming the rule it needed;
 * a row the session cannot read (or that does not exist) stays not-found, so existence never leaks. The same on
 * the plain ZenStack path and on the fast paths (policy folding answers the denied write without SQL), with the
 * database read back: the row unchanged, no audit row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, ORMError, policyRejectionDetails } from '../src/index.ts';
import { openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { recordSentSql } from './support/sent-sql.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});
let recording = false;
const sent = recordSentSql(
  (text) => text,
  () => recording,
);

async function failure(p: Promise<unknown>): Promise<ORMError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ORMError);
  return err as ORMError;
}

/** Runs `write`, expects `reason`, and proves nothing changed (no audit row either). */
async function refused(write: () => Promise<unknown>, reason: 'rejected-by-policy' | 'not-found') {
  const before = await snapshot(raw);
  const err = await failure(write());
  expect(err.reason, err.message).toBe(reason);
  expect(await snapshot(raw)).toEqual(before);
  return err;
}

for (const fastPaths of [false, true]) {
  describe(`fastPaths: ${fastPaths}`, () => {
    const db = (s: keyof Tenancy['sessions']) => createDb(t.sessions[s], { fastPaths });

    it('a STAFF member renaming or deleting a clinic they can read is refused by the rule, not "not found"', async () => {
      const staff = db('staffA');
      expect(await staff.clinic.findUnique({ where: { id: t.clinicA.id } })).not.toBeNull();
      const update = await refused(
        () => staff.clinic.update({ where: { id: t.clinicA.id }, data: { name: 'Renamed' } }),
        'rejected-by-policy',
      );
      expect(update.model).toBe('Clinic');
      expect(update.message).toBe("Clinic update needs auth().role == 'ADMIN'; the session's role is USER");
      expect(policyRejectionDetails(update)).toMatchObject({ model: 'Clinic', operation: 'update' });
      const del = await refused(() => staff.clinic.delete({ where: { id: t.clinicA.id } }), 'rejected-by-policy');
      expect(del.message).toBe("Clinic delete needs auth().role == 'ADMIN'; the session's role is USER");
    });

    it('a row the session cannot read stays not-found: another clinic, a missing id, a soft-deleted patient', async () => {
      await refused(
        () => db('staffB').patient.update({ where: { id: t.patientA.id }, data: { name: 'X' } }),
        'not-found',
      );
      await refused(
        () => db('staffA').patient.update({ where: { id: uid('missing') }, data: { name: 'X' } }),
        'not-found',
      );
      const gone = await raw.patient.create({
        data: { name: uid('Gone'), email: `${uid('g')}@example.com`, clinicId: t.clinicA.id, deletedAt: new Date() },
      });
      await refused(() => db('staffA').patient.update({ where: { id: gone.id }, data: { name: 'X' } }), 'not-found');
    });

    it('refused whatever the row: the same rejection for a readable, an unreadable and a missing row, no row read', async () => {
      const before = await snapshot(raw);
      recording = true;
      const kinds: string[] = [];
      const attempts = [
        ...[t.clinicA.id, t.clinicB.id, uid('missing')].map(
          (id) => () => db('staffA').clinic.update({ where: { id }, data: { name: 'X' } }),
        ),
        () => db('anonymous').clinic.delete({ where: { id: t.clinicA.id } }),
        () => db('anonymous').clinic.delete({ where: { id: uid('missing') } }),
      ];
      for (const attempt of attempts) {
        const err = await failure(attempt());
        kinds.push(`${err.reason}: ${err.message.split(';')[0]}`);
      }
      recording = false;
      expect(kinds).toEqual([
        ...Array(3).fill("rejected-by-policy: Clinic update needs auth().role == 'ADMIN'"),
        ...Array(2).fill("rejected-by-policy: Clinic delete needs auth().role == 'ADMIN'"),
      ]);
      // No statement reads a Clinic row to choose the answer (the plain path's own policy check aside).
      expect(sent.filter((text) => /^select\b.*"Clinic"/is.test(text.trim()))).toEqual([]);
      if (fastPaths) expect(sent).toEqual([]);
      expect(await snapshot(raw)).toEqual(before);
    });

    it('a row-dependent rule: a VIEWER may read the patient, not change it; its STAFF may', async () => {
      const err = await refused(
        () => db('viewerA').patient.update({ where: { id: t.patientA.id }, data: { name: 'Viewer edit' } }),
        'rejected-by-policy',
      );
      expect(err.message).toContain('Patient update needs');
      expect(err.message).toContain('(depends on the row)');
      await refused(() => db('viewerA').patient.delete({ where: { id: t.patientA.id } }), 'rejected-by-policy');
      // The filter is the caller's: a readable row that does not match it stays not-found.
      await refused(
        () => db('viewerA').patient.update({ where: { id: t.patientA.id, name: 'no such name' }, data: { name: 'X' } }),
        'not-found',
      );
      const name = uid('Staff edit');
      await db('staffA').patient.update({ where: { id: t.patientA.id }, data: { name } });
      expect((await raw.patient.findUnique({ where: { id: t.patientA.id } }))?.name).toBe(name);
    });

    it('an upsert of a readable row it may not update is refused too (ZenStack then tries the create)', async () => {
      const err = await refused(
        () =>
          db('staffA').clinic.upsert({
            where: { id: t.clinicA.id },
            create: { name: 'Upserted', code: uid('U') },
            update: { name: 'Upserted' },
          }),
        'rejected-by-policy',
      );
      expect(err.message).toContain("auth().role == 'ADMIN'");
    });

    it('updateMany / deleteMany of readable rows stay { count: 0 }', async () => {
      const before = await snapshot(raw);
      const staff = db('staffA');
      expect(await staff.clinic.updateMany({ where: { id: t.clinicA.id }, data: { name: 'X' } })).toEqual({ count: 0 });
      expect(await staff.clinic.deleteMany({ where: { id: t.clinicA.id } })).toEqual({ count: 0 });
      expect(await snapshot(raw)).toEqual(before);
    });

    it('inside a transaction the refusal is the same and the transaction can go on', async () => {
      const before = await snapshot(raw);
      const result = await db('staffA').$transaction(async (tx) => {
        const err = await failure(tx.clinic.update({ where: { id: t.clinicA.id }, data: { name: 'In tx' } }));
        expect(err.reason).toBe('rejected-by-policy');
        return tx.clinic.count({ where: { id: t.clinicA.id } });
      });
      expect(result).toBe(1);
      expect(await snapshot(raw)).toEqual(before);
    });
  });
}

describe('what the check costs', () => {
  it('only a refusal that depends on the row reads: one SELECT of the id after the not-found, no write', async () => {
    const viewer = createDb(t.sessions.viewerA);
    const before = await snapshot(raw);
    recording = true;
    await failure(viewer.patient.update({ where: { id: t.patientA.id }, data: { name: 'X' } }));
    recording = false;
    const reads = sent.filter((s) => /^select "Patient"\."id" as "id" from "public"\."Patient" where/i.test(s.trim()));
    expect(reads, sent.join('\n')).toHaveLength(1);
    expect(await snapshot(raw)).toEqual(before);
  });

  it('a refusal captures no stack frames (its cost) but keeps reason, model and rule details', async () => {
    const limit = Error.stackTraceLimit;
    const staff = createDb(t.sessions.staffA);
    const rejected = await refused(
      () => staff.clinic.update({ where: { id: t.clinicA.id }, data: { name: 'No stack' } }),
      'rejected-by-policy',
    );
    expect(rejected.model).toBe('Clinic');
    expect(rejected.rejectedByPolicyReason).toBe('no-access');
    expect(policyRejectionDetails(rejected)).toMatchObject({ model: 'Clinic', operation: 'update' });
    expect(rejected.stack).not.toMatch(/\n\s+at /);
    // The folded not-found behind it is its cause, stackless too.
    expect((rejected.cause as ORMError).reason).toBe('not-found');
    // A missing row gets the same refusal (the session may rename no clinic), stackless as well.
    const missing = await refused(
      () => staff.clinic.update({ where: { id: uid('missing') }, data: { name: 'X' } }),
      'rejected-by-policy',
    );
    expect(missing.model).toBe('Clinic');
    expect(missing.stack).not.toMatch(/\n\s+at /);
    // The limit is restored: any other error still has its frames.
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('elsewhere').stack).toMatch(/\n\s+at /);
  });

  it('a successful update sends what it sent before: no read added', async () => {
    const admin = createDb(t.sessions.admin);
    const name = uid('Admin edit');
    recording = true;
    await admin.clinic.update({ where: { id: t.clinicA.id }, data: { name } });
    recording = false;
    expect(sent.filter((s) => /^select/i.test(s))).toEqual([]);
    expect((await raw.clinic.findUnique({ where: { id: t.clinicA.id } }))?.name).toBe(name);
  });
});
