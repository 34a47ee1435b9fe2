/**
 * PostgreSQL's own row-level security (zenstack/rls.sql), seen from a path
 * that skips ZenStack entirely: raw SQL on the application role, per role and
 * membership, as another service or a forgotten filter would run it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLE, AUTH_SETTING } from '../src/rls/names.ts';
import { schema } from '../zenstack/schema.ts';
import { openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { runDbScript } from './support/run-db-script.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

/** Every model's table (no @@map in the schema): a new model is covered without an edit here. */
const TABLES = Object.keys(schema.models).sort();
const raw = openUnrestrictedDb();
const app = new pg.Pool({ connectionString: process.env.APP_DATABASE_URL, max: 2 });
afterAll(async () => {
  await raw.$disconnect();
  await app.end();
});

let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

type Auth = { id: string; role: string; memberships?: { clinicId: string; role: string }[] } | null;

/** Runs `sql` on the app role inside a transaction carrying `auth` (as the pg client of src/rls does), rolled back. */
async function asSession<T = Record<string, unknown>>(auth: Auth, sql: string, params: unknown[] = []) {
  const c = await app.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('${AUTH_SETTING}', $1, true)`, [auth ? JSON.stringify(auth) : '']);
    return (await c.query(sql, params)) as pg.QueryResult<T & pg.QueryResultRow>;
  } finally {
    await c.query('ROLLBACK').catch(() => {});
    c.release();
  }
}
async function sqlState(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'no code',
  );
}
const count = async (auth: Auth, table: string, where = 'true', params: unknown[] = []) =>
  Number(
    (await asSession<{ n: string }>(auth, `SELECT count(*) AS n FROM "${table}" WHERE ${where}`, params)).rows[0]?.n,
  );

describe('the app role', () => {
  it('is neither superuser, BYPASSRLS nor owner, and every model table forces RLS', async () => {
    const { rows } = await app.query<{ rolsuper: boolean; rolbypassrls: boolean; owns: string }>(
      `SELECT r.rolsuper, r.rolbypassrls,
              (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid AND c.relkind = 'r')::text AS owns
       FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, owns: '0' });
    const tables = await raw.$queryRawUnsafe<
      { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }[]
    >(
      `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
       WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname <> '_prisma_migrations' ORDER BY relname`,
    );
    expect(tables.map((r) => r.relname).sort()).toEqual(TABLES);
    expect(tables.every((r) => r.relrowsecurity && r.relforcerowsecurity)).toBe(true);
  });

  it('cannot read the migration history', async () => {
    expect(await sqlState(app.query('SELECT * FROM "_prisma_migrations"'))).toBe('42501');
  });
});

describe('without a session (a plain query, a forgotten context)', () => {
  it('sees nothing and writes nothing', async () => {
    const before = await snapshot(raw);
    for (const table of TABLES) {
      expect(Number((await app.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n), table).toBe(0);
    }
    expect(
      await sqlState(app.query(`INSERT INTO "Clinic" (id, name, code, "updatedAt") VALUES ('x', 'x', 'x', now())`)),
    ).toBe('42501');
    expect((await app.query(`UPDATE "Clinic" SET name = 'x'`)).rowCount).toBe(0);
    expect((await app.query(`DELETE FROM "Patient"`)).rowCount).toBe(0);
    expect(await snapshot(raw)).toEqual(before);
  });

  it('a malformed context fails closed (an error, not access)', async () => {
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('${AUTH_SETTING}', '{not json', true)`);
      expect(await sqlState(c.query('SELECT count(*) FROM "Clinic"'))).toBe('22P02');
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });
});

describe('spec models per role', () => {
  const USER = { id: 'u', role: 'USER' };
  const SUPPORT = { id: 's', role: 'SUPPORT' };
  const ADMIN = { id: 'a', role: 'ADMIN' };

  it.each([
    ['USER', USER],
    ['SUPPORT', SUPPORT],
  ])('%s reads every clinic and writes none', async (_, auth) => {
    expect(await count(auth, 'Clinic')).toBe(await raw.clinic.count());
    expect(
      await sqlState(
        asSession(auth, `INSERT INTO "Clinic" (id, name, code, "updatedAt") VALUES ('y', 'y', 'y', now())`),
      ),
    ).toBe('42501');
    expect((await asSession(auth, `UPDATE "Clinic" SET name = 'x'`)).rowCount).toBe(0);
    expect((await asSession(auth, `DELETE FROM "Treatment"`)).rowCount).toBe(0);
  });

  it('ADMIN writes', async () => {
    const code = uid('RAW');
    expect(
      (
        await asSession(ADMIN, `INSERT INTO "Clinic" (id, name, code, "updatedAt") VALUES ($1, 'Raw', $1, now())`, [
          code,
        ])
      ).rowCount,
    ).toBe(1);
    expect((await asSession(ADMIN, `UPDATE "Clinic" SET name = name WHERE id = $1`, [t.clinicA.id])).rowCount).toBe(1);
  });

  it('anonymous (empty context) sees nothing', async () => {
    expect(await count(null, 'Clinic')).toBe(0);
  });
});

describe('patients per membership', () => {
  it('members read their clinics only; non-members and anonymous nothing', async () => {
    const { staffA, viewerA, supportA, staffB, admin } = t.sessions;
    for (const s of [staffA, viewerA, supportA])
      expect(await count(s, 'Patient', '"clinicId" = $1', [t.clinicA.id])).toBe(1);
    expect(await count(staffB, 'Patient', '"clinicId" = $1', [t.clinicA.id])).toBe(0);
    expect(await count(staffB, 'Patient', '"clinicId" = $1', [t.clinicB.id])).toBe(1);
    expect(await count(null, 'Patient')).toBe(0);
    expect(await count(admin, 'Patient')).toBe(await raw.patient.count());
  });

  const insert = `INSERT INTO "Patient" (id, name, email, "clinicId", "updatedAt") VALUES ($1, 'Raw', $2, $3, now())`;
  it('a STAFF member inserts into their clinic only; VIEWER and SUPPORT cannot', async () => {
    const row = (clinicId: string) => [uid('p'), `${uid('e')}@x.io`, clinicId];
    expect(await sqlState(asSession(t.sessions.staffA, insert, row(t.clinicA.id)))).toBe('ok');
    expect(await sqlState(asSession(t.sessions.staffA, insert, row(t.clinicB.id)))).toBe('42501');
    expect(await sqlState(asSession(t.sessions.viewerA, insert, row(t.clinicA.id)))).toBe('42501');
    expect(await sqlState(asSession(t.sessions.supportA, insert, row(t.clinicA.id)))).toBe('42501');
  });

  it('a STAFF member cannot move a patient out of their clinics, soft-delete or hard-delete it', async () => {
    const { staffA } = t.sessions;
    const id = t.patientA.id;
    expect(
      await sqlState(asSession(staffA, `UPDATE "Patient" SET "clinicId" = $2 WHERE id = $1`, [id, t.clinicB.id])),
    ).toBe('42501');
    expect(await sqlState(asSession(staffA, `UPDATE "Patient" SET "deletedAt" = now() WHERE id = $1`, [id]))).toBe(
      '42501',
    );
    expect((await asSession(staffA, `DELETE FROM "Patient" WHERE id = $1`, [id])).rowCount).toBe(0);
    expect((await asSession(staffA, `UPDATE "Patient" SET phone = '1' WHERE id = $1`, [id])).rowCount).toBe(1);
  });

  it('soft-deleted rows are ADMIN-only', async () => {
    const p = await raw.patient.create({
      data: { name: 'Gone', email: `${uid('g')}@x.io`, clinicId: t.clinicA.id, deletedAt: new Date() },
    });
    expect(await count(t.sessions.staffA, 'Patient', 'id = $1', [p.id])).toBe(0);
    expect(await count(t.sessions.admin, 'Patient', 'id = $1', [p.id])).toBe(1);
  });
});

describe('audit log and memberships', () => {
  it('the audit log is ADMIN-read-only; a session appends only in its own name', async () => {
    const { staffA, admin } = t.sessions;
    expect(await count(staffA, 'AuditLog')).toBe(0);
    expect(await count(admin, 'AuditLog')).toBe(await raw.auditLog.count());
    const append = `INSERT INTO "AuditLog" ("actorId", "actorRole", model, action, "recordId") VALUES ($1, $2, 'Clinic', 'update', 'x')`;
    expect(await sqlState(asSession(staffA, append, [staffA.id, 'USER']))).toBe('ok');
    expect(await sqlState(asSession(staffA, append, ['someone-else', 'ADMIN']))).toBe('42501');
    expect((await asSession(admin, `DELETE FROM "AuditLog"`)).rowCount).toBe(0);
  });

  it('a user sees only their own memberships; only ADMIN writes them', async () => {
    const { staffA, admin } = t.sessions;
    expect(await count(staffA, 'ClinicMembership')).toBe(1);
    expect(await count(admin, 'ClinicMembership')).toBe(await raw.clinicMembership.count());
    const grant = `INSERT INTO "ClinicMembership" (id, "userId", "clinicId", "updatedAt") VALUES ($1, $2, $3, now())`;
    expect(await sqlState(asSession(staffA, grant, [uid('m'), staffA.id, t.clinicB.id]))).toBe('42501');
  });
});

describe('pnpm db:roles', () => {
  it('creates the APP_DATABASE_URL login as a member of acme_app, bound by the policies, without printing its password', async () => {
    const password = `Roles-${uid('pw')}`;
    const user = `acme_login_${process.pid}`;
    const url = new URL(process.env.DATABASE_URL as string);
    url.username = user;
    url.password = password;
    const res = await runDbScript(['roles'], process.env.DATABASE_URL as string, undefined, {
      APP_DATABASE_URL: url.toString(),
    });
    expect(res.code, res.output).toBe(0);
    expect(res.output).not.toContain(password);
    const login = new pg.Client({ connectionString: url.toString() });
    await login.connect();
    try {
      const { rows } = await login.query(`SELECT pg_has_role(current_user, '${APP_ROLE}', 'MEMBER') AS member`);
      expect(rows[0].member).toBe(true);
      expect(Number((await login.query('SELECT count(*) AS n FROM "Clinic"')).rows[0].n)).toBe(0);
      await login.query('BEGIN');
      await login.query(`SELECT set_config('${AUTH_SETTING}', '{"id":"x","role":"USER"}', true)`);
      expect(Number((await login.query('SELECT count(*) AS n FROM "Clinic"')).rows[0].n)).toBe(
        await raw.clinic.count(),
      );
      await login.query('ROLLBACK');
    } finally {
      await login.end();
      await raw.$executeRawUnsafe(`DROP ROLE IF EXISTS "${user}"`);
    }
  });
});
