/**
 * What a failed organization's deploy leaves (issue 27 point 4): four
 * organizations at their first migration, two on each server; two of them
 * fail in different migrations of the same `db:migrate:deploy`. Everything is
 * read back from the databases: Prisma's history and the schema.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOrgConfig } from '../../src/orgs/config.ts';
import { withClient, withDatabase } from '../../tooling/database.ts';
import { MAIN_SCHEMA } from '../../tooling/migrate/schema-targets.ts';
import { committedFor, migrationState } from '../../tooling/orgs/migrations.ts';
import { ensureCentralMigrated } from '../../tooling/orgs/registry.ts';
import { ROOT, runTool } from '../../tooling/tool-env.ts';
import { type TwoServers, twoServers } from './two-servers.ts';

let t: TwoServers;
const [INIT, CHECKS, PATIENT, MEMBERSHIPS] = committedFor(MAIN_SCHEMA) as [string, string, string, string];
const ALL = committedFor(MAIN_SCHEMA);
const ORGS = { alpha: 'a', bravo: 'b', charlie: 'a', delta: 'b' } as const;
type Slug = keyof typeof ORGS;
const url = (slug: Slug) => t.orgDbUrl(ORGS[slug], `${t.prefix}${slug}`);
const sql = (slug: Slug, text: string) => withClient(url(slug), async (c) => (await c.query(text)).rows);

/** Prisma's history, oldest first: name, finished, rolled back. */
const history = (slug: Slug) =>
  sql(
    slug,
    `SELECT migration_name AS name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS "rolledBack"
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
const relations = async (slug: Slug, names: string[]) =>
  (await sql(slug, `SELECT ${names.map((n, i) => `to_regclass('"${n}"') IS NOT NULL AS r${i}`).join(', ')}`))[0];
const constraint = async (slug: Slug, name: string) =>
  (await sql(slug, `SELECT count(*)::int AS n FROM pg_constraint WHERE conname = '${name}'`))[0].n as number;

/** A database at its first migration, recorded by Prisma (`migrate resolve --applied`, as a baseline does). */
async function templateAtInit(server: 'a' | 'b'): Promise<string> {
  const name = `${t.prefix}tpl_${server}`;
  const admin = t.orgDbUrl(server, 'postgres');
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const tpl = withDatabase(admin, name);
  await withClient(tpl, (c) => c.query(readFileSync(path.join(ROOT, 'migrations', INIT, 'migration.sql'), 'utf8')));
  const res = await runTool('prisma', ['migrate', 'resolve', '--applied', INIT], {
    env: { DATABASE_URL: tpl },
    quiet: true,
  });
  expect(res.code, res.stdout + res.stderr).toBe(0);
  return name;
}

const passwords = () => [new URL(t.serverA).password, new URL(t.serverB.url).password].filter(Boolean);
function expectNoSecret(output: string) {
  for (const pw of passwords()) expect(output).not.toContain(pw);
  expect(output).not.toMatch(/postgres(ql)?:\/\/[^\s/]*:[^\s/@*]+@/);
}

afterAll(() => t?.close(), 300_000);
beforeAll(async () => {
  t = await twoServers();
  await ensureCentralMigrated(readOrgConfig());
  const templates = { a: await templateAtInit('a'), b: await templateAtInit('b') };
  for (const [slug, server] of Object.entries(ORGS) as [Slug, 'a' | 'b'][]) {
    const db = pg.escapeIdentifier(`${t.prefix}${slug}`);
    await withClient(t.orgDbUrl(server, 'postgres'), (c) =>
      c.query(`CREATE DATABASE ${db} TEMPLATE ${pg.escapeIdentifier(templates[server])}`),
    );
    await withClient(t.centralUrl, (c) =>
      c.query(
        `INSERT INTO "Organization" (id, slug, name, "dbServer", "dbName", "updatedAt") VALUES ($1, $1, $1, $2, $3, now())`,
        [slug, server === 'a' ? null : 'b', `${t.prefix}${slug}`],
      ),
    );
  }
  // charlie: a row the second migration's CHECK constraints reject (its last ALTER TABLE: the earlier ones ran).
  await sql(
    'charlie',
    `INSERT INTO "Clinic" (id, name, code, "updatedAt") VALUES ('c1', 'North', 'N', now());
     INSERT INTO "Treatment" (id, name, price, "updatedAt") VALUES ('t1', 'Cleaning', 10, now());
     INSERT INTO "TreatmentsByClinic" (id, "clinicId", "treatmentId", notes, "updatedAt")
       VALUES ('x1', 'c1', 't1', repeat('n', 2001), now())`,
  );
  // delta: a hand-made table by the name the fourth migration creates (after two statements of its own).
  await sql('delta', 'CREATE TABLE "AuditLog" (handmade int)');
}, 300_000);

describe('db:migrate:deploy with failing organizations', { timeout: 300_000 }, () => {
  it('migrates the others, names each failure with its migration and database error, and exits 1', async () => {
    const res = await t.db(['deploy']);
    expect(res.code, res.output).toBe(1);
    expect(res.output).toMatch(/alpha: ok: 4 applied/);
    expect(res.output).toMatch(/bravo: ok: 4 applied/);
    expect(res.output).toContain(
      `charlie: FAILED: migration ${CHECKS}: check constraint "TreatmentsByClinic_notes_length" of relation "TreatmentsByClinic" is violated by some row (SQLSTATE 23514)`,
    );
    expect(res.output).toContain(
      `delta: FAILED: migration ${MEMBERSHIPS}: relation "AuditLog" already exists (SQLSTATE 42P07)`,
    );
    expect(res.output).toContain(`pnpm db:org:resolve charlie --rolled-back ${CHECKS}`);
    expect(res.output).toContain('2 of 4 organizations deployed.');
    expect(res.output).toContain('Failed: charlie, delta');
    expectNoSecret(res.output);

    for (const slug of ['alpha', 'bravo'] as const) {
      const state = await migrationState(url(slug), MAIN_SCHEMA);
      expect(state).toMatchObject({ applied: ALL, pending: [], failed: [] });
      expect(await relations(slug, ['Patient', 'AuditLog', 'ClinicMembership'])).toEqual({
        r0: true,
        r1: true,
        r2: true,
      });
      expect((await sql(slug, 'SELECT count(*)::int AS n FROM pg_policies'))[0].n).toBeGreaterThan(0);
    }
  });

  it('leaves a failed organization as its failed migration found it: one transaction per migration', async () => {
    // charlie stopped at its second migration; that migration's first statements are gone with it.
    expect(await history('charlie')).toEqual([
      { name: INIT, finished: true, rolledBack: false },
      { name: CHECKS, finished: false, rolledBack: false },
    ]);
    expect(await constraint('charlie', 'Clinic_name_length')).toBe(0);
    expect(await constraint('charlie', 'Treatment_price_not_negative')).toBe(0);
    expect(await relations('charlie', ['Patient'])).toEqual({ r0: false });
    // delta kept the migrations before the failed one (each committed on its own), none of the failed one.
    expect(await history('delta')).toEqual([
      { name: INIT, finished: true, rolledBack: false },
      { name: CHECKS, finished: true, rolledBack: false },
      { name: PATIENT, finished: true, rolledBack: false },
      { name: MEMBERSHIPS, finished: false, rolledBack: false },
    ]);
    expect(await relations('delta', ['Patient', 'ClinicMembership'])).toEqual({ r0: true, r1: false });
    expect((await sql('delta', `SELECT to_regtype('"ClinicRole"') IS NULL AS gone`))[0].gone).toBe(true);
    expect(
      await sql('delta', "SELECT column_name FROM information_schema.columns WHERE table_name = 'AuditLog'"),
    ).toEqual([{ column_name: 'handmade' }]);
  });

  it('refuses again, citing the recorded error, until the failure is resolved', async () => {
    await sql('charlie', `UPDATE "TreatmentsByClinic" SET notes = 'short'`);
    await sql('delta', 'DROP TABLE "AuditLog"');
    const res = await t.db(['deploy']);
    expect(res.code, res.output).toBe(1);
    expect(res.output).toContain(
      `charlie: FAILED: migration ${CHECKS}: check constraint "TreatmentsByClinic_notes_length" of relation "TreatmentsByClinic" is violated by some row (SQLSTATE 23514); not resolved since (Prisma P3009)`,
    );
    expect(res.output).toMatch(new RegExp(`delta: FAILED: migration ${MEMBERSHIPS}: .*42P07.*P3009`));
    expect(res.output).toMatch(/alpha: ok: 0 applied/);
    expectNoSecret(res.output);
    expect((await history('charlie')).map((r) => r.finished)).toEqual([true, false]);
  });

  it('db:org:resolve refuses what is not a failed migration there, and changes nothing', async () => {
    const notFailed = await t.db(['org:resolve', 'alpha', '--rolled-back', CHECKS]);
    expect(notFailed.code, notFailed.output).toBe(64);
    expect(notFailed.output).toContain(`alpha: ${CHECKS} has not failed there`);
    const unknown = await t.db(['org:resolve', 'charlie', '--rolled-back', '20990101000000_nope']);
    expect(unknown.code).toBe(64);
    expect(unknown.output).toContain('is not a committed migration');
    const noOrg = await t.db(['org:resolve', 'nosuch', '--rolled-back', CHECKS]);
    expect(noOrg.code).toBe(64);
    const both = await t.db(['org:resolve', 'charlie']);
    expect(both.code).toBe(64);
    expect((await history('charlie')).map((r) => r.rolledBack)).toEqual([false, false]);
    expect(await history('alpha')).toHaveLength(ALL.length);
  });

  it('after the cause is removed and db:org:resolve, a re-run migrates every organization', async () => {
    const c = await t.db(['org:resolve', 'charlie', '--rolled-back', CHECKS]);
    expect(c.code, c.output).toBe(0);
    expect(c.output).toContain(`charlie: ${CHECKS} marked rolled back`);
    expect((await t.db(['org:resolve', 'delta', '--rolled-back', MEMBERSHIPS])).code).toBe(0);
    const res = await t.db(['deploy']);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toMatch(/charlie: ok: 4 applied/);
    expect(res.output).toMatch(/delta: ok: 2 applied/);
    expect(res.output).toContain('4 of 4 organizations deployed.');
    for (const slug of Object.keys(ORGS) as Slug[]) {
      expect(await migrationState(url(slug), MAIN_SCHEMA)).toMatchObject({ applied: ALL, pending: [], failed: [] });
      expect(await relations(slug, ['Patient', 'AuditLog', 'ClinicMembership'])).toEqual({
        r0: true,
        r1: true,
        r2: true,
      });
    }
    // The failed attempt stays in the history, marked rolled back, before the one that finished.
    expect((await history('charlie')).filter((r) => r.name === CHECKS)).toEqual([
      { name: CHECKS, finished: false, rolledBack: true },
      { name: CHECKS, finished: true, rolledBack: false },
    ]);
  });
});
