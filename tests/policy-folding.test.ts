/**
 * Writes the session alone rules out are answered without SQL, with the
 * same outcome ZenStack reaches through the database; anything that needs
 * the row still goes to the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/index.ts';
import { deniedForSession } from '../src/policy-folding.ts';
import { schema } from '../zenstack/schema.ts';
import { openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { recordSentSql } from './support/sent-sql.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

// The statements the application's pg clients send (the database stays real).
const sent = recordSentSql((text) => text);

describe('deniedForSession', () => {
  const USER = { id: 'u', role: 'USER', memberships: [] };
  const ADMIN = { id: 'a', role: 'ADMIN', memberships: [] };
  const MEMBER = { id: 'm', role: 'USER', memberships: [{ clinicId: 'c', role: 'STAFF' }] };
  it.each([
    ['Clinic', 'update', USER, true],
    ['Clinic', 'update', ADMIN, false],
    ['Clinic', 'create', null, true],
    ['Patient', 'create', USER, true], // no memberships: the `?[...]` over [] is false
    ['Patient', 'create', MEMBER, false], // depends on the row's clinic: unknown, so not folded
    ['Patient', 'delete', MEMBER, true],
    ['Patient', 'update', ADMIN, false],
    ['AuditLog', 'create', ADMIN, false], // in its own name only: depends on the row
    ['AuditLog', 'update', ADMIN, true], // no update rule at all
  ] as const)('%s %s for %j -> denied %s', (model, action, auth, denied) => {
    expect(deniedForSession(schema, model, action, auth)).toBe(denied);
  });
});

describe('folded outcomes match the unfolded ones', () => {
  it('denied update/delete: no write statement, nothing changed; a readable row is refused by the rule', async () => {
    const before = await snapshot(raw);
    sent.length = 0;
    const user = createDb({ id: 'plain-user', role: 'USER' });
    await expect(user.clinic.create({ data: { name: 'x', code: uid('x') } })).toBeRejectedByPolicy();
    expect(await user.clinic.updateMany({ data: { name: 'x' } })).toEqual({ count: 0 });
    expect(await user.clinic.deleteMany({})).toEqual({ count: 0 });
    expect(await user.clinic.updateManyAndReturn({ data: { name: 'x' } })).toEqual([]);
    expect(sent.length).toBe(0);
    // Refused whatever the row (src/explain/refused-write.ts): rejected-by-policy naming the rule, for any id,
    // readable or not, and still no statement.
    await expect(user.clinic.update({ where: { id: t.clinicA.id }, data: { name: 'x' } })).toBeRejectedByPolicy();
    await expect(user.clinic.delete({ where: { id: t.clinicA.id } })).toBeRejectedByPolicy();
    const anonymous = createDb(null);
    await expect(anonymous.clinic.update({ where: { id: t.clinicA.id }, data: { name: 'x' } })).toBeRejectedByPolicy();
    await expect(anonymous.clinic.delete({ where: { id: 'no-such-clinic' } })).toBeRejectedByPolicy();
    expect(sent.length).toBe(0);
    expect(await snapshot(raw)).toEqual(before);
  });

  it('a rule that needs the row still asks the database', async () => {
    const viewer = createDb(t.sessions.viewerA);
    const before = await snapshot(raw);
    sent.length = 0;
    await expect(
      viewer.patient.create({ data: { name: 'x', email: `${uid('v')}@x.io`, clinicId: t.clinicA.id } }),
    ).toBeRejectedByPolicy();
    expect(sent.length).toBeGreaterThan(0);
    expect(await snapshot(raw)).toEqual(before);
  });

  it('allowed writes are untouched', async () => {
    const admin = createDb(t.sessions.admin);
    const c = await admin.clinic.create({ data: { name: 'Folding', code: uid('F') } });
    expect(await raw.clinic.findUnique({ where: { id: c.id } })).toMatchObject({ name: 'Folding' });
  });
});
