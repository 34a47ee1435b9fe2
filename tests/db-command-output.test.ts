/**
 * What `pnpm db:generate` and `pnpm db:reset` print: only what is true here (README, Commands > What the
 * commands print). No ZenStack version list, no Prisma config or datasource `url` notes, and a generate that
 * names the files it changed instead of saying they match.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { withClient } from '../tooling/database.ts';
import { ROOT } from '../tooling/tool-env.ts';
import { withRepoCopy } from './support/repo-copy.ts';
import { runDbScript } from './support/run-db-script.ts';
import { scratchDatabases } from './support/scratch-databases.ts';

// Each test runs CLI commands (Prisma, ZenStack): slow on a busy 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

const emptyDatabase = scratchDatabases('acme_out');
const NOISE = /@zenstackhq\/|Multiple versions|Loaded Prisma config|Prisma config detected|WARNING|will NOT be used/;

/** Files under zenstack/ whose content differs between the copy and this checkout: read, not hashed. */
function differingFiles(copy: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(copy, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (!e.name.endsWith('.zmodel')) {
        const mine = readFileSync(path.join(copy, rel), 'utf8');
        let theirs: string | undefined;
        try {
          theirs = readFileSync(path.join(ROOT, rel), 'utf8');
        } catch {}
        if (mine !== theirs) out.push(rel);
      }
    }
  };
  walk('zenstack');
  return out.sort();
}

describe('db:generate', () => {
  it('says no file changed when none did, then names exactly the files a zmodel edit changed', async () => {
    await withRepoCopy(async (copy) => {
      const first = await runDbScript(['generate'], 'postgresql://unused@127.0.0.1/none', copy);
      expect(first.code, first.output).toBe(0);
      expect(first.output).not.toMatch(NOISE);
      expect(first.output).toMatch(/\[db:generate\] no file changed: the generated code already matched/);
      expect(differingFiles(copy)).toEqual([]);

      const clinic = path.join(copy, 'zenstack/models/clinic.zmodel');
      const source = readFileSync(clinic, 'utf8');
      writeFileSync(clinic, source.replace(/(\n {2}code +String[^\n]*\n)/, '$1  fax String? @length(0, 40)\n'));
      expect(readFileSync(clinic, 'utf8')).toContain('fax String?');
      const second = await runDbScript(['generate'], 'postgresql://unused@127.0.0.1/none', copy);
      expect(second.code, second.output).toBe(0);
      expect(second.output).not.toMatch(NOISE);
      const changed = differingFiles(copy);
      expect(changed).toEqual(expect.arrayContaining(['zenstack/prisma/schema.prisma', 'zenstack/schema.ts']));
      const line = second.output.split('\n').find((l) => l.startsWith('[db:generate]')) ?? '';
      expect(line).toContain(`${changed.length} file(s) changed to match zenstack/*.zmodel`);
      expect(line).toContain(`: ${changed.join(', ')} (rls.sql:`);
      expect(line).not.toMatch(/already matched/);
    });
  });
});

describe('db:reset', () => {
  const count = (url: string) =>
    withClient(url, async (c) => Number((await c.query('SELECT count(*) AS n FROM "Clinic"')).rows[0].n));

  it('with --force drops the data and re-applies everything, without the Prisma config and url notes', async () => {
    const url = await emptyDatabase();
    expect((await runDbScript(['deploy'], url)).code).toBe(0);
    await withClient(url, (c) =>
      c.query(`INSERT INTO "Clinic" (id, name, code, "updatedAt") VALUES ('gone', 'Gone', 'G', now())`),
    );
    const res = await runDbScript(['reset', '--', '--force'], url);
    expect(res.code, res.output).toBe(0);
    expect(res.output).not.toMatch(NOISE);
    expect(res.output).toMatch(/reset/i);
    expect(await count(url)).toBe(0);
    const policies = await withClient(url, (c) => c.query(`SELECT count(*)::int AS n FROM pg_policies`));
    expect(policies.rows[0].n).toBeGreaterThan(0);
  });

  it('without --force and without a terminal to ask in, refuses and leaves the data', async () => {
    const url = await emptyDatabase();
    expect((await runDbScript(['deploy'], url)).code).toBe(0);
    await withClient(url, (c) =>
      c.query(`INSERT INTO "Clinic" (id, name, code, "updatedAt") VALUES ('kept', 'Kept', 'K', now())`),
    );
    const res = await runDbScript(['reset'], url);
    expect(res.code).toBe(1);
    expect(res.output).toContain('pass `-- --force`');
    expect(res.output).not.toMatch(NOISE);
    expect(await count(url)).toBe(1);
  });
});
