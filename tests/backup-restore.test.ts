/**
 * pnpm db:backup / db:restore on the test server: a populated database backed up with the pg_dump of the
 * server's major version, restored into a fresh database, compared table by table (row count and a checksum of
 * every row), and `db:status` finds no drift. Runs where that pg_dump exists (CI's PostgreSQL 15 leg); on a
 * server whose major has no client here (embedded PostgreSQL 18) it is skipped, saying so.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { createPrivateFile } from '../tooling/backup/backup.ts';
import { findPgTool, serverMajor } from '../tooling/backup/tools.ts';
import { withClient } from '../tooling/database.ts';
import { seedDatabase } from '../tooling/seed/data.ts';
import { runDbScript } from './support/run-db-script.ts';
import { scratchDatabases } from './support/scratch-databases.ts';

vi.setConfig({ testTimeout: 240_000 });
const emptyDatabase = scratchDatabases('acme_restore');
const dir = mkdtempSync(path.join(tmpdir(), 'acme-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const major = await serverMajor(inject('testServerUrl'));
const missing = await findPgTool('pg_dump', major).then(
  () => undefined,
  (err: Error) => err.message.split('\n')[0],
);

/** Per table: row count and an md5 over every row's text, in a stable order; per sequence: its position. */
async function fingerprint(url: string) {
  return withClient(url, async (c) => {
    const tables = await c.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    );
    const out: Record<string, unknown> = {};
    for (const { t } of tables.rows) {
      const q = `SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS sum FROM "${t}" x`;
      out[t] = (await c.query(q)).rows[0];
    }
    const seqs = await c.query(
      `SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`,
    );
    out['(sequences)'] = seqs.rows;
    const policies = await c.query(`SELECT tablename, policyname, qual, with_check FROM pg_policies ORDER BY 1, 2`);
    out['(policies)'] = policies.rows;
    return out;
  });
}

const modeOf = (p: string) => statSync(p).mode & 0o777;

describe('backups, whatever the server', () => {
  it('a backup file is mode 600 in a mode-700 directory, whatever the umask (patient data)', () => {
    const before = process.umask(0o022); // the usual umask, under which files were world-readable
    try {
      const nested = path.join(dir, 'private', 'deeper', 'a.dump');
      createPrivateFile(nested, false);
      expect(modeOf(nested)).toBe(0o600);
      expect(modeOf(path.dirname(nested))).toBe(0o700);
      expect(modeOf(path.join(dir, 'private'))).toBe(0o700);
      // A file left world-readable by an older run is tightened; so is the default directory, which is ours.
      const own = path.join(dir, 'own');
      mkdirSync(own, { mode: 0o755 });
      chmodSync(own, 0o755);
      const old = path.join(own, 'old.dump');
      writeFileSync(old, 'x', { mode: 0o644 });
      createPrivateFile(old, true);
      expect([modeOf(old), modeOf(own)]).toEqual([0o600, 0o700]);
      // An existing directory given with --out (say /tmp) is not the command's to change.
      const shared = path.join(dir, 'shared');
      mkdirSync(shared, { mode: 0o755 });
      chmodSync(shared, 0o755);
      createPrivateFile(path.join(shared, 'b.dump'), false);
      expect([modeOf(path.join(shared, 'b.dump')), modeOf(shared)]).toEqual([0o600, 0o755]);
    } finally {
      process.umask(before);
    }
  });

  it('without a pg_dump of the server major, says which version it needs and how to get it', async () => {
    const url = process.env.DATABASE_URL as string;
    const res = await runDbScript(['backup'], url, undefined, { PG_BIN_DIR: dir });
    expect(res.code).toBe(69);
    expect(res.output).toContain(`pg_dump ${major} is needed`);
    expect(res.output).toMatch(/apt-get install postgresql-client-\d+/);
    const password = decodeURIComponent(new URL(url).password);
    if (password) expect(res.output).not.toContain(password);
  });

  it('--org outside organization mode says how to turn it on, and backs up nothing', async () => {
    const res = await runDbScript(
      ['backup', '--', '--org', 'north', '--out', '.data/never.dump'],
      process.env.DATABASE_URL as string,
    );
    expect(res.code, res.output).toBe(64);
    expect(res.output).toContain('CENTRAL_DATABASE_URL is not set');
    expect(existsSync('.data/never.dump')).toBe(false);
  });
});

describe.skipIf(missing !== undefined)(
  missing ? `backup and restore: skipped, ${missing}` : `backup and restore with pg_dump ${major}`,
  () => {
    it('restores a populated database exactly, refuses a non-empty target, and --force replaces it', async () => {
      const source = process.env.DATABASE_URL as string;
      await seedDatabase(source, { extraClinics: 300 });
      const before = await fingerprint(source);
      expect((before.Clinic as { n: number }).n).toBeGreaterThan(300);
      expect((before.AuditLog as { n: number }).n).toBeGreaterThan(0);

      const file = path.join(dir, 'acme.dump');
      const backup = await runDbScript(['backup', '--', '--out', file], source);
      expect(backup.code, backup.output).toBe(0);
      expect(backup.output).toContain(`pg_dump ${major}, custom format`);
      expect(modeOf(file)).toBe(0o600); // written by pg_dump into the file made private first
      const nested = path.join(dir, 'made-here', 'acme.dump');
      expect((await runDbScript(['backup', '--', '--out', nested], source)).code).toBe(0);
      expect([modeOf(nested), modeOf(path.dirname(nested))]).toEqual([0o600, 0o700]);

      const target = await emptyDatabase();
      const restore = await runDbScript(['restore', file, '--to', target], source);
      expect(restore.code, restore.output).toBe(0);
      expect(await fingerprint(target)).toEqual(before);
      const status = await runDbScript(['status'], target);
      expect(status.code, status.output).toBe(0);
      expect(status.output).toContain('No drift');

      await withClient(target, (c) =>
        c.query(`INSERT INTO "Clinic" (id, name, code, "updatedAt") VALUES ('extra', 'Extra', 'EXTRA', now())`),
      );
      const edited = await fingerprint(target);
      const refused = await runDbScript(['restore', file, '--to', target], source);
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/is not empty .* --force/);
      expect(await fingerprint(target)).toEqual(edited);

      const forced = await runDbScript(['restore', file, '--to', target, '--force'], source);
      expect(forced.code, forced.output).toBe(0);
      expect(await fingerprint(target)).toEqual(before);
    });
  },
);
