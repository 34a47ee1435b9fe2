/** The tRPC routers through createCaller, on real PostgreSQL, for every role. */

import { createDb } from '@acme/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUnrestrictedDb, SESSIONS, snapshot, uid } from '../../../tests/support/fixtures.ts';
import { createCaller, createContext, toTRPCError } from '../src/index.ts';
import { codeOf } from './support/code-of.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const as = (s: keyof typeof SESSIONS) => createCaller(createContext(SESSIONS[s]));

let clinicId = '';
beforeAll(async () => {
  const admin = as('admin');
  const clinic = await admin.clinic.create({ name: 'Router Clinic', code: uid('R') });
  clinicId = clinic.id;
  const a = await admin.treatment.create({ name: 'Alpha', price: '39.50' });
  const b = await admin.treatment.create({ name: 'Beta', price: '100.00', maintenanceIntervalMonths: 6 });
  await admin.treatmentsByClinic.create({ clinicId, treatmentId: a.id });
  await admin.treatmentsByClinic.create({ clinicId, treatmentId: b.id, priceOverride: '89.90' });
});

describe('clinic.treatments', () => {
  it('returns effective prices as exact decimal strings', async () => {
    expect(await as('user').clinic.treatments(clinicId)).toEqual([
      expect.objectContaining({ name: 'Alpha', listPrice: '39.50', priceOverride: null, effectivePrice: '39.50' }),
      expect.objectContaining({ name: 'Beta', listPrice: '100.00', priceOverride: '89.90', effectivePrice: '89.90' }),
    ]);
  });

  it('is NOT_FOUND for an unknown clinic', async () => {
    expect(await codeOf(as('user').clinic.treatments('nope'))).toBe('NOT_FOUND');
  });
});

describe('list pagination', () => {
  it('walks every clinic exactly once with a capped page size', async () => {
    for (let i = 0; i < 7; i++) await raw.clinic.create({ data: { name: `Page ${i}`, code: uid('P') } });
    const total = await raw.clinic.count();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await as('support').clinic.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(await codeOf(as('user').clinic.list({ limit: 101 }))).toBe('BAD_REQUEST');
  });
});

describe('error mapping per role', () => {
  it('anonymous is UNAUTHORIZED everywhere', async () => {
    const anon = as('anonymous');
    expect(await codeOf(anon.clinic.list())).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.treatment.create({ name: 'X', price: '1.00' }))).toBe('UNAUTHORIZED');
  });

  for (const role of ['user', 'support'] as const) {
    it(`${role} reads but gets FORBIDDEN on writes of any clinic (it may write none), a missing one too`, async () => {
      const before = await snapshot(raw);
      const caller = as(role);
      expect((await caller.clinic.byId({ id: clinicId })).id).toBe(clinicId);
      expect(await codeOf(caller.clinic.create({ name: 'X', code: uid('X') }))).toBe('FORBIDDEN');
      expect(await codeOf(caller.clinic.update({ id: clinicId, data: { name: 'Hacked' } }))).toBe('FORBIDDEN');
      expect(await codeOf(caller.clinic.delete({ id: clinicId }))).toBe('FORBIDDEN');
      expect(await codeOf(caller.clinic.update({ id: uid('missing'), data: { name: 'X' } }))).toBe('FORBIDDEN');
      expect(await codeOf(caller.clinic.delete({ id: uid('missing') }))).toBe('FORBIDDEN');
      expect(await snapshot(raw)).toEqual(before);
    });
  }

  it('admin gets CONFLICT on a duplicate code and on deleting a clinic with links', async () => {
    const admin = as('admin');
    const code = uid('DUP');
    await admin.clinic.create({ name: 'One', code });
    const before = await snapshot(raw);
    expect(await codeOf(admin.clinic.create({ name: 'Two', code }))).toBe('CONFLICT');
    expect(await codeOf(admin.clinic.delete({ id: clinicId }))).toBe('CONFLICT');
    expect(await snapshot(raw)).toEqual(before);
  });

  it('BAD_REQUEST for invalid input, before touching the database', async () => {
    const admin = as('admin');
    const before = await snapshot(raw);
    for (const price of ['abc', '1e999', '123456789.00', '-1.00', '1.999', '']) {
      expect(await codeOf(admin.treatment.create({ name: 'Bad', price }))).toBe('BAD_REQUEST');
    }
    expect(await codeOf(admin.clinic.create({ name: '', code: 'E' }))).toBe('BAD_REQUEST');
    expect(await codeOf(admin.clinic.create({ name: 'x'.repeat(201), code: 'E' }))).toBe('BAD_REQUEST');
    expect(await codeOf(admin.clinic.create({ name: 'N', code: 'E', extra: 1 } as never))).toBe('BAD_REQUEST');
    expect(await snapshot(raw)).toEqual(before);
  });

  it('admin runs the full CRUD cycle with exact money', async () => {
    const admin = as('admin');
    const t = await admin.treatment.create({ name: uid('Cycle'), price: '0.10' });
    expect(t.price).toBe('0.10');
    expect((await admin.treatment.update({ id: t.id, data: { price: '12.30' } })).price).toBe('12.30');
    const link = await admin.treatmentsByClinic.create({ clinicId, treatmentId: t.id, priceOverride: '9.00' });
    expect(
      (await admin.treatmentsByClinic.update({ id: link.id, data: { priceOverride: null } })).priceOverride,
    ).toBeNull();
    await admin.treatmentsByClinic.delete({ id: link.id });
    await admin.treatment.delete({ id: t.id });
    expect(await raw.treatment.findUnique({ where: { id: t.id } })).toBeNull();
  });

  it('a NUL byte that reaches PostgreSQL past the inputs (SQLSTATE 22021) is BAD_REQUEST, not a 500', async () => {
    const before = await snapshot(raw);
    const err = await createDb(SESSIONS.admin)
      .clinic.create({ data: { name: 'a\u0000b', code: uid('NUL') } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'db-query-error', dbErrorCode: '22021' });
    expect(toTRPCError(err).code).toBe('BAD_REQUEST');
    expect(await snapshot(raw)).toEqual(before);
  });
});
