/** `pnpm db:seed` and `pnpm demo` as a user runs them, against this file's database. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SEED_COUNTS, seedDatabase } from '../tooling/seed/data.ts';
import { openUnrestrictedDb, snapshot } from './support/fixtures.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const url = () => process.env.DATABASE_URL as string;
const withoutUpdatedAt = <T extends { updatedAt: Date }>(rows: T[]) => rows.map(({ updatedAt: _, ...r }) => r);

describe('seed', () => {
  it('writes the documented rows and a second run leaves the same rows', async () => {
    await seedDatabase(url());
    const first = await snapshot(raw);
    expect(first.clinics.filter((c) => c.id.startsWith('seed-'))).toHaveLength(SEED_COUNTS.clinics);
    expect(first.treatments.filter((t) => t.id.startsWith('seed-'))).toHaveLength(SEED_COUNTS.treatments);
    expect(first.links.filter((l) => l.clinicId.startsWith('seed-'))).toHaveLength(SEED_COUNTS.links);
    expect(first.links.some((l) => l.priceOverride !== null)).toBe(true);
    expect(first.links.some((l) => l.priceOverride === null)).toBe(true);
    expect(first.memberships).toHaveLength(SEED_COUNTS.memberships);
    expect(first.patients.filter((p) => p.id.startsWith('seed-'))).toHaveLength(SEED_COUNTS.patients);
    const seeded = SEED_COUNTS.clinics + SEED_COUNTS.treatments + SEED_COUNTS.links;
    const created = first.audit.filter((a) => a.action === 'create');
    expect(created).toHaveLength(seeded + SEED_COUNTS.memberships + SEED_COUNTS.patients);
    expect(new Set(first.audit.map((a) => a.actorId))).toEqual(new Set(['system:seed']));

    // Nothing changed: nothing is written, not even an audit row or a new updatedAt.
    expect(await seedDatabase(url())).toEqual({ created: 0, restored: 0 });
    expect(await snapshot(raw)).toEqual(first);

    // A user's edits survive a seed run; only what is missing comes back.
    await raw.clinic.update({ where: { id: 'seed-clinic-north' }, data: { name: 'Edited by hand' } });
    await raw.patient.update({ where: { id: 'seed-patient-ada' }, data: { deletedAt: new Date() } });
    await raw.clinicMembership.delete({
      where: { userId_clinicId: { userId: 'demo-user', clinicId: 'seed-clinic-south' } },
    });
    const edited = await snapshot(raw);
    expect(await seedDatabase(url())).toEqual({ created: 1, restored: 0 });
    const kept = await snapshot(raw);
    expect(kept.clinics).toEqual(edited.clinics);
    expect(kept.patients).toEqual(edited.patients);
    const memberships = (rows: { userId: string; clinicId: string; role: string }[]) =>
      rows.map((m) => `${m.userId}@${m.clinicId}:${m.role}`).sort();
    expect(memberships(kept.memberships)).toEqual(memberships(first.memberships));
    expect(kept.audit.slice(edited.audit.length).map((a) => [a.actorId, a.action, a.model])).toEqual([
      ['system:seed', 'create', 'ClinicMembership'],
    ]);

    // --reset puts the seed back, writing (and auditing) only the rows that differ.
    expect(await seedDatabase(url(), { reset: true })).toEqual({ created: 0, restored: 2 });
    const reset = await snapshot(raw);
    expect(withoutUpdatedAt(reset.clinics)).toEqual(withoutUpdatedAt(first.clinics));
    expect(withoutUpdatedAt(reset.patients)).toEqual(withoutUpdatedAt(first.patients));
    expect(reset.audit.slice(kept.audit.length).map((a) => [a.action, a.recordId])).toEqual(
      expect.arrayContaining([
        ['update', 'seed-clinic-north'],
        ['restore', 'seed-patient-ada'],
      ]),
    );
    expect(reset.audit).toHaveLength(kept.audit.length + 2);
  });
});

describe('pnpm demo', () => {
  it('serves the API with signed tokens, prints the observed policy matrix and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/demo/src/demo.ts'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { ...process.env, PORT: '0', AUTH_SECRET: 'demo-test-secret-that-is-long-enough-123' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await expect
      .poll(() => out, { timeout: 45_000, interval: 200 })
      .toMatch(/Listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const base = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] as string;
    const token = (role: string) => new RegExp(`^  ${role} +(\\S+)$`, 'm').exec(out)?.[1] as string;

    expect(out).toMatch(/^anonymous +Clinic +no +no +no +no/m);
    expect(out).toMatch(/^USER +TreatmentsByClinic +yes +no +no +no/m);
    expect(out).toMatch(/^SUPPORT +Treatment +yes +no +no +no/m);
    expect(out).toMatch(/^ADMIN +Clinic +yes +yes +yes +yes/m);
    expect(out).toMatch(/^member +Patient +yes +yes +yes +no/m);
    expect(out).toMatch(/^non-member +Patient +no +no +no +no/m);
    expect(out).toMatch(/^support-member +Patient +yes +no +no +no/m);
    expect(out).toMatch(/^admin +Patient +yes +yes +yes +yes/m);
    // Every model of the schema, ClinicMembership and AuditLog included (tooling/policy-probe.ts).
    expect(out).toMatch(/^member +ClinicMembership +yes +no +no +no/m);
    expect(out).toMatch(/^admin +ClinicMembership +yes +yes +yes +yes/m);
    expect(out).toMatch(/^ADMIN +AuditLog +yes +no +no +no/m);
    expect(out).toMatch(/^USER +AuditLog +no +no +no +no/m);

    const get = (p: string, auth?: string) => fetch(`${base}/${p}`, auth ? { headers: { authorization: auth } } : {});
    const list = await get('clinic.list', `Bearer ${token('USER')}`);
    expect(list.status).toBe(200);
    const body = (await list.json()) as { result: { data: { items: { id: string }[] } } };
    expect(body.result.data.items.map((c) => c.id)).toContain('seed-clinic-north');
    expect((await get('clinic.list')).status).toBe(401);
    // demo-user is STAFF at North and VIEWER at South (seeded memberships, loaded per request).
    const patients = (await (await get('patient.list', `Bearer ${token('USER')}`)).json()) as {
      result: { data: { items: { clinicId: string }[] } };
    };
    expect(new Set(patients.result.data.items.map((p) => p.clinicId))).toEqual(
      new Set(['seed-clinic-north', 'seed-clinic-south']),
    );
    expect((await get('clinic.list', `Bearer ${token('ADMIN')}x`)).status).toBe(401);
    const create = await fetch(`${base}/clinic.create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token('SUPPORT')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Nope', code: 'NOPE' }),
    });
    expect(create.status).toBe(403);
    expect(await raw.clinic.count({ where: { code: 'NOPE' } })).toBe(0);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('[demo] stopped');
    expect(out).not.toContain(decodeURIComponent(new URL(url()).password));
  });
});
