import type { SessionInput } from '@acme/auth';
import { createSystemDb } from '../../src/index.ts';
import { dec, type UnrestrictedDb, uid } from '../support/fixtures.ts';

/** A small seeded PRNG (mulberry32): a failing case can be replayed from the printed seed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, pick, chance: (p: number) => next() < p };
}
export type Random = ReturnType<typeof prng>;

/**
 * Rows of every model the rules are about: three clinics, treatments and
 * links, patients spread over the clinics (some soft-deleted), memberships
 * of a few users, and audit rows written by real mutations.
 */
export async function arrangeWorld(raw: UnrestrictedDb, r: Random) {
  const clinics = [];
  for (let i = 0; i < 3; i++) clinics.push(await raw.clinic.create({ data: { name: uid('Clinic'), code: uid('C') } }));
  const treatments = [];
  for (let i = 0; i < 2; i++) {
    treatments.push(await raw.treatment.create({ data: { name: uid('Treatment'), price: dec('10.00') } }));
  }
  for (const [i, c] of clinics.entries()) {
    await raw.treatmentsByClinic.create({
      data: { clinicId: c.id, treatmentId: (treatments[i % 2] as { id: string }).id },
    });
  }
  const users = Array.from({ length: 4 }, () => uid('user'));
  for (const userId of users) {
    for (const c of clinics) {
      if (r.chance(0.4)) {
        await raw.clinicMembership.create({
          data: { userId, clinicId: c.id, role: r.chance(0.5) ? 'STAFF' : 'VIEWER' },
        });
      }
    }
  }
  const sys = createSystemDb('explain-test');
  for (let i = 0; i < 9; i++) {
    const p = await sys.patient.create({
      data: { name: uid('Patient'), email: `${uid('p')}@example.com`, clinicId: r.pick(clinics).id },
    });
    if (r.chance(0.3)) await raw.patient.update({ where: { id: p.id }, data: { deletedAt: new Date() } });
  }
  return { clinics, users };
}

const ROLES = ['USER', 'SUPPORT', 'ADMIN'] as const;

/** Anonymous, a role with no memberships, a real user, or memberships made up at random. */
export function randomSession(
  r: Random,
  world: Awaited<ReturnType<typeof arrangeWorld>>,
  loaded: Map<string, SessionInput>,
) {
  const kind = r.next();
  if (kind < 0.1) return null;
  const role = r.pick(ROLES);
  const id = r.pick(world.users);
  if (kind < 0.45) {
    const real = loaded.get(id);
    return real ? { ...real, role } : { id, role };
  }
  const memberships = world.clinics
    .filter(() => r.chance(0.4))
    .map((c) => ({ clinicId: c.id, role: r.chance(0.5) ? ('STAFF' as const) : ('VIEWER' as const) }));
  return { id, role, memberships } satisfies SessionInput;
}
