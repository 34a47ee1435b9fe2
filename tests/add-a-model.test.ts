/**
 * The README's "Adding a model" steps, walked in a scratch copy of the repo as a developer would: a new model
 * with a relation and rules, `db:generate`, `db:migrate`, then the model used through `createDb` with
 * row-level security in force.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it, vi } from 'vitest';
import { APP_ROLE } from '../src/rls/names.ts';
import { withClient } from '../tooling/database.ts';
import { appUrl } from '../tooling/rls/app-role.ts';
import { runNode } from '../tooling/tool-env.ts';
import { withRepoCopy } from './support/repo-copy.ts';
import { runDbScript } from './support/run-db-script.ts';
import { scratchDatabases } from './support/scratch-databases.ts';

// Each test runs CLI commands (Prisma, ZenStack, PostgreSQL start-up): slow on a busy 2-core machine.
vi.setConfig({ testTimeout: 300_000 });

const emptyDatabase = scratchDatabases('acme_model');

const ROOM_MODEL = `import 'clinic'

// A treatment room of a clinic.
model Room {
  id       String @id @default(cuid())
  name     String @length(1, 100)
  clinic   Clinic @relation(fields: [clinicId], references: [id])
  clinicId String
  // A nested write under a Room (room.update({ data: { clinic: … } })) touches it to check Room's update rule.
  updatedAt DateTime @updatedAt

  @@allow('read', auth() != null && auth().memberships?[clinicId == this.clinicId])
  @@allow('all', auth().role == 'ADMIN')
}
`;

/** Steps 1 and 2 of the README: the model file, its import, and the reverse relation on Clinic. */
function addRoomModel(copy: string, model = ROOM_MODEL): void {
  writeFileSync(path.join(copy, 'zenstack/models/room.zmodel'), model);
  const schemaFile = path.join(copy, 'zenstack/schema.zmodel');
  writeFileSync(
    schemaFile,
    readFileSync(schemaFile, 'utf8').replace(/(import '\.\/models\/auditLog'\n)/, "$1import './models/room'\n"),
  );
  const clinicFile = path.join(copy, 'zenstack/models/clinic.zmodel');
  const clinic = readFileSync(clinicFile, 'utf8');
  const edited = `import 'room'\n${clinic.replace(/(\n {2}memberships +ClinicMembership\[\]\n)/, '$1  rooms Room[]\n')}`;
  expect(edited).toContain('rooms Room[]');
  writeFileSync(clinicFile, edited);
}

/** Uses the new model from the copy's own package, as an app would, with RLS on (APP_DATABASE_URL). */
const USE_ROOM = `
import { createDb, createSystemDb, closeDb, ORMError } from './src/index.ts';

const admin = { id: 'a1', role: 'ADMIN', memberships: [] };
const member = { id: 'u1', role: 'USER', memberships: [{ clinicId: 'c1', role: 'STAFF' }] };
const stranger = { id: 'u2', role: 'USER', memberships: [] };
await createSystemDb('test').clinic.create({ data: { id: 'c1', name: 'One', code: 'ONE' } });
await createDb(admin).room.create({ data: { id: 'r1', name: 'Room 1', clinicId: 'c1' } });
let denied = 'allowed';
try { await createDb(member).room.create({ data: { name: 'Sneaky', clinicId: 'c1' } }); }
catch (e) { denied = e instanceof ORMError ? e.reason : String(e); }
console.log(JSON.stringify({
  member: await createDb(member).room.findMany({ select: { id: true } }),
  stranger: await createDb(stranger).room.findMany({ select: { id: true } }),
  denied,
}));
await closeDb();
`;

async function useRoom(copy: string, url: string) {
  const app = appUrl(url, { user: APP_ROLE, password: inject('appRolePassword') });
  writeFileSync(path.join(copy, 'use-room.ts'), USE_ROOM);
  const res = await runNode(['--import', 'tsx', 'use-room.ts'], {
    cwd: copy,
    env: { DATABASE_URL: url, APP_DATABASE_URL: app },
    quiet: true,
  });
  expect(res.code, res.stdout + res.stderr).toBe(0);
  return JSON.parse(res.stdout.trim().split('\n').at(-1) as string);
}

const roomPolicies = (url: string) =>
  withClient(url, async (c) => {
    const { rows } = await c.query(`SELECT policyname FROM pg_policies WHERE tablename = 'Room' ORDER BY 1`);
    return rows.map((r) => r.policyname as string);
  });

const roomMigrations = (copy: string) =>
  readdirSync(path.join(copy, 'migrations')).filter((d) => d.endsWith('_add_room'));

/** `pnpm typecheck` in the copy: both of its tsc runs. */
async function typecheck(copy: string) {
  const tsc = path.join(copy, 'node_modules/typescript/bin/tsc');
  let output = '';
  for (const project of ['.', 'packages/studio/web']) {
    const res = await runNode([tsc, '--noEmit', '-p', project], { cwd: copy, quiet: true });
    if (res.code !== 0) output += `tsc -p ${project} exited ${res.code}:\n${res.stdout}${res.stderr}`;
  }
  return output;
}

describe('adding a model, as the README says', () => {
  it('generates, type-checks, migrates and enforces the new model, in the ORM and in PostgreSQL', async () => {
    await withRepoCopy(
      async (copy) => {
        addRoomModel(copy);
        const url = await emptyDatabase();
        const gen = await runDbScript(['generate'], url, copy);
        expect(gen.code, gen.output).toBe(0);
        expect(gen.output).toContain(
          ': zenstack/input.ts, zenstack/models.ts, zenstack/prisma/schema.prisma, zenstack/rls.sql, zenstack/schema.ts (',
        );
        expect(gen.output).toMatch(/rls\.sql: \d+ policies on 7 tables/);
        expect(gen.output).not.toMatch(/Multiple versions|@zenstackhq\//);
        // Step 3's type-check: no test or package lists the models by hand.
        expect(await typecheck(copy)).toBe('');
        expect(readFileSync(path.join(copy, 'zenstack/rls.sql'), 'utf8')).toContain(
          'CREATE POLICY "Room_select_allow_1"',
        );

        const migrate = await runDbScript(['migrate', '--', '--name', 'add_room'], url, copy);
        expect(migrate.code, migrate.output).toBe(0);
        const [folder] = roomMigrations(copy);
        expect(readFileSync(path.join(copy, 'migrations', folder as string, 'migration.sql'), 'utf8')).toMatch(
          /CREATE TABLE "Room"/,
        );
        expect(await roomPolicies(url)).toEqual(expect.arrayContaining(['Room_select_allow_1']));

        expect(await useRoom(copy, url)).toEqual({
          member: [{ id: 'r1' }],
          stranger: [],
          denied: 'rejected-by-policy',
        });
        // Audited like every other model, and the denied create left no row.
        const rows = await withClient(url, (c) =>
          c.query(`SELECT (SELECT count(*)::int FROM "Room") AS rooms,
                        (SELECT count(*)::int FROM "AuditLog" WHERE model = 'Room') AS audited`),
        );
        expect(rows.rows).toEqual([{ rooms: 1, audited: 1 }]);

        const again = await runDbScript(['migrate'], url, copy);
        expect(again.code, again.output).toBe(0);
        expect(again.output).toContain('No schema changes');
      },
      { typecheck: true },
    );
  });

  it('refuses, at db:generate, a model with a relation but no @updatedAt, and says what to add', async () => {
    await withRepoCopy(async (copy) => {
      addRoomModel(copy, ROOM_MODEL.replace(/\n *\/\/ A nested write[^\n]*\n *updatedAt DateTime @updatedAt/, ''));
      expect(readFileSync(path.join(copy, 'zenstack/models/room.zmodel'), 'utf8')).not.toContain('updatedAt');
      const gen = await runDbScript(['generate'], 'postgresql://unused@127.0.0.1/none', copy);
      expect(gen.code).toBe(1);
      expect(gen.output).toContain(
        '[db:generate] Room: a model with a relation field needs an @updatedAt field, e.g. `updatedAt DateTime @updatedAt`',
      );
    });
  });

  it('with --create-only writes the migration without applying it or the new policies', async () => {
    await withRepoCopy(async (copy) => {
      addRoomModel(copy);
      const url = await emptyDatabase();
      const created = await runDbScript(['migrate', '--', '--name', 'add_room', '--create-only'], url, copy);
      expect(created.code, created.output).toBe(0);
      expect(roomMigrations(copy)).toHaveLength(1);
      const roomTable = () =>
        withClient(url, async (c) => (await c.query(`SELECT to_regclass('"Room"') AS t`)).rows[0].t);
      expect(await roomTable()).toBeNull();

      const applied = await runDbScript(['migrate'], url, copy);
      expect(applied.code, applied.output).toBe(0);
      expect(await roomTable()).toBe('"Room"');
      expect(await roomPolicies(url)).toEqual(expect.arrayContaining(['Room_select_allow_1']));
      expect(roomMigrations(copy)).toHaveLength(1);
      expect(existsSync(path.join(copy, 'zenstack/models/room.zmodel'))).toBe(true);
    });
  });
});
