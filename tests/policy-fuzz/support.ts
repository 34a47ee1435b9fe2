/** Sessions, result normalization and outcome comparison for the randomized suite. */
import { ORMError } from '@zenstackhq/orm';
import Decimal from 'decimal.js';
import type { Rng } from './rng.ts';
import type { ClinicRole, Role, Session } from './rules-oracle.ts';
import { membershipsOf, USERS, type World } from './world.ts';
import type { Outcome } from './writes.ts';

const MALFORMED_INPUTS = [
  { id: '', role: 'USER' },
  { id: '   ', role: 'ADMIN' },
  { id: 'u1', role: 'ROOT' },
  { id: 'u1', role: 'admin' },
  { role: 'ADMIN' },
  { id: 'u1', role: 'USER', memberships: [{ clinicId: 'c0', role: 'OWNER' }] },
  { id: 'u1', role: 'USER', memberships: [{ clinicId: '', role: 'STAFF' }] },
  { id: 'u1', role: 'ADMIN', isAdmin: true },
  { id: 7, role: 'USER' },
];
/**
 * Contexts PostgreSQL must not read as a session (the ORM never sends these): broken JSON is an error, and
 * well-formed JSON that is not a session object with a string id and role reads as anonymous.
 */
const MALFORMED_CONTEXTS = [
  '{"role":',
  'not json',
  '',
  '{"id": }',
  'null',
  '{}',
  '[]',
  '"ADMIN"',
  '{"id":7,"role":"ADMIN"}',
];

/** A random session: anonymous, a role with memberships as loadSession builds them or made up, or malformed. */
export function randomSession(rng: Rng, world: World): { session: Session; input?: unknown; malformed?: string } {
  if (rng.bool(0.05))
    return { session: null, input: rng.pick(MALFORMED_INPUTS), malformed: rng.pick(MALFORMED_CONTEXTS) };
  if (rng.bool(0.12)) return { session: null };
  const id = rng.pick([...USERS, 'stranger']);
  const role = rng.pick<Role>(['USER', 'USER', 'USER', 'SUPPORT', 'ADMIN']);
  const memberships = rng.bool(0.7)
    ? membershipsOf(world, id)
    : rng
        .sample(world.clinic, rng.int(0, 2))
        .map((c) => ({ clinicId: c.id as string, role: rng.pick<ClinicRole>(['STAFF', 'VIEWER']) }));
  return { session: { id, role, memberships } };
}

/** Results as plain JSON: money as 2-digit strings, a set timestamp as 'set', bigints as numbers. */
export function normalize(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (Decimal.isDecimal(value)) return (value as Decimal).toFixed(2);
  if (value instanceof Date) return 'set';
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, normalize(v)]),
    );
  }
  return value;
}

export type Actual = { ok: true; result: unknown } | { ok: false; error: string; message: string };

export async function outcomeOf(fn: () => Promise<unknown>): Promise<Actual> {
  try {
    return { ok: true, result: normalize(await fn()) };
  } catch (err) {
    const message = (err as Error).message?.split('\n')[0] ?? String(err);
    if (err instanceof ORMError) {
      const error = err.reason === 'db-query-error' ? 'db-error' : err.reason;
      return { ok: false, error, message };
    }
    return { ok: false, error: 'other', message };
  }
}

export function sameOutcome(expected: Outcome, actual: Actual): boolean {
  if (expected.ok) return actual.ok && canon(expected.result) === canon(actual.result);
  if (actual.ok) return false;
  if (expected.error === 'refused') return actual.error !== 'db-error';
  return expected.error === actual.error;
}

/** JSON with object keys sorted: the comparison key for results. */
export function canon(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
