/**
 * The live policy matrix (tooling/policy-probe.ts) of `pnpm demo` and the studio: every model of the schema,
 * each cell observed against the database and equal to the rules as data, and the database unchanged after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemDb } from '../src/index.ts';
import { OPERATIONS, probePolicies } from '../tooling/policy-probe.ts';
import { genericProbe } from '../tooling/policy-probe-generic.ts';
import { openScriptSystemClient } from '../tooling/system-client.ts';
import { schema } from '../zenstack/schema.ts';
import { openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const url = process.env.DATABASE_URL as string;
const sessions = {
  anonymous: null,
  USER: { id: 'probe-user', role: 'USER' },
  SUPPORT: { id: 'probe-support', role: 'SUPPORT' },
  ADMIN: { id: 'probe-admin', role: 'ADMIN' },
} as const;

beforeAll(async () => {
  // An audited write, so the append-only audit log has a row to probe.
  await createSystemDb('probe-test').clinic.create({ data: { name: uid('Clinic'), code: uid('C') } });
});

describe('the live policy matrix', () => {
  it('covers every model of the schema, every cell as the rules say, and leaves the database as it was', async () => {
    const before = await snapshot(raw);
    const matrix = await probePolicies(url, sessions);
    expect(new Set(matrix.map((c) => c.model))).toEqual(new Set(Object.keys(schema.models)));
    expect(matrix.filter((c) => c.outcome !== c.expected)).toEqual([]);
    expect(matrix.filter((c) => c.outcome === 'n/a')).toEqual([]);
    const cell = (session: string, model: string, operation: string) =>
      matrix.find((c) => c.session === session && c.model === model && c.operation === operation)?.outcome;
    expect(cell('member', 'ClinicMembership', 'read')).toBe('allowed'); // their own
    expect(cell('non-member', 'ClinicMembership', 'read')).toBe('denied');
    expect(cell('member', 'ClinicMembership', 'update')).toBe('denied');
    expect(cell('admin', 'ClinicMembership', 'update')).toBe('allowed');
    expect(cell('ADMIN', 'AuditLog', 'read')).toBe('allowed');
    expect(cell('USER', 'AuditLog', 'read')).toBe('denied');
    for (const op of ['create', 'update', 'delete']) expect(cell('ADMIN', 'AuditLog', op)).toBe('denied');
    expect(await snapshot(raw)).toEqual(before);
  }, 120_000);

  it("probes a model without a probe of its own from its rows, as explain() judges them (here: Clinic's)", async () => {
    const sys = openScriptSystemClient(url);
    try {
      const probe = await genericProbe(sys, 'Clinic');
      const before = await snapshot(raw);
      for (const [name, session] of Object.entries(sessions)) {
        for (const operation of OPERATIONS) {
          const expected = name === 'ADMIN' || (operation === 'read' && session) ? 'allowed' : 'denied';
          expect(await probe.attempt(session, operation), `${name} ${operation}`).toBe(expected);
          expect(await probe.expected(session, operation), `${name} ${operation}`).toBe(expected);
        }
      }
      expect(await snapshot(raw)).toEqual(before);
    } finally {
      await sys.$disconnect();
    }
  }, 120_000);
});
