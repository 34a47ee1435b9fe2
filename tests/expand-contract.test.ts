/**
 * The README's expand/contract recipe (rename Treatment.description to details in three deploys), with the
 * migrations read from the README itself, on a populated table: after each deploy both the previous and the
 * new version of the code work, and no value is lost.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { withClient } from '../tooling/database.ts';
import { ROOT } from '../tooling/tool-env.ts';
import { withRepoCopy } from './support/repo-copy.ts';
import { runDbScript } from './support/run-db-script.ts';
import { scratchDatabases } from './support/scratch-databases.ts';

vi.setConfig({ testTimeout: 240_000 });
const emptyDatabase = scratchDatabases('acme_rename');
const ROWS = 2_000;

/** The SQL block after `<!-- recipe:<step> -->` in the README (indented inside a list item). */
function recipe(step: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = new RegExp(`<!-- recipe:${step} -->\\s*\`\`\`sql\\n([\\s\\S]*?)\\n\\s*\`\`\``).exec(readme);
  if (!block?.[1]) throw new Error(`README has no recipe:${step} block`);
  return `${block[1].replace(/^ {3}/gm, '')}\n`;
}

describe('expand/contract rename, as the README says', () => {
  it('renames a column of a populated table in three deploys; old and new code keep working; nothing is lost', async () => {
    await withRepoCopy(async (copy) => {
      const url = await emptyDatabase();
      const deploy = async (name: string, sql: string) => {
        mkdirSync(path.join(copy, 'migrations', name));
        writeFileSync(path.join(copy, 'migrations', name, 'migration.sql'), sql);
        return runDbScript(['deploy'], url, copy);
      };
      const q = (sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);
      expect((await runDbScript(['deploy'], url, copy)).code).toBe(0);
      await q(`INSERT INTO "Treatment" (id, name, description, price, "updatedAt")
               SELECT 't' || i, 'Treatment ' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'about ' || i END, i, now()
               FROM generate_series(1, ${ROWS}) i`);
      const original = await q(`SELECT id, description FROM "Treatment" ORDER BY id`);

      // Deploy 1: expand. Every row copied; code of deploy 0 writes description, and details follows.
      const expand = await deploy('29990101000001_expand_treatment_details', recipe('expand'));
      expect(expand.code, expand.output).toBe(0);
      expect(await q(`SELECT count(*)::int AS n FROM "Treatment" WHERE details IS DISTINCT FROM description`)).toEqual([
        { n: 0 },
      ]);
      await q(
        `INSERT INTO "Treatment" (id, name, description, price, "updatedAt") VALUES ('old-1', 'O', 'by old code', 1, now())`,
      );
      await q(`UPDATE "Treatment" SET description = 'edited by old code' WHERE id = 't1'`);
      expect(await q(`SELECT id, details FROM "Treatment" WHERE id IN ('old-1', 't1') ORDER BY id`)).toEqual([
        { id: 'old-1', details: 'by old code' },
        { id: 't1', details: 'edited by old code' },
      ]);

      // Deploy 2: switch. New code writes details only; instances of deploy 1 still read description.
      const sw = await deploy('29990101000002_validate_treatment_details', recipe('switch'));
      expect(sw.code, sw.output).toBe(0);
      expect(await q(`SELECT convalidated FROM pg_constraint WHERE conname = 'Treatment_details_length'`)).toEqual([
        { convalidated: true },
      ]);
      await q(
        `INSERT INTO "Treatment" (id, name, details, price, "updatedAt") VALUES ('new-1', 'N', 'by new code', 1, now())`,
      );
      await q(`UPDATE "Treatment" SET details = 'edited by new code' WHERE id = 't2'`);
      expect(await q(`SELECT id, description FROM "Treatment" WHERE id IN ('new-1', 't2') ORDER BY id`)).toEqual([
        { id: 'new-1', description: 'by new code' },
        { id: 't2', description: 'edited by new code' },
      ]);

      // Deploy 3: contract. Refused without its acknowledgement (the column is still there), applied with it.
      const contract = recipe('contract');
      const unacknowledged = contract.replace(/^-- acme:allow.*\n/m, '');
      expect(unacknowledged).not.toContain('acme:allow');
      const refused = await deploy('29990101000003_contract_treatment_description', unacknowledged);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toMatch(/ban-drop-column/);
      expect(
        await q(
          `SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'description' AND table_name = 'Treatment'`,
        ),
      ).toEqual([{ n: 1 }]);
      writeFileSync(
        path.join(copy, 'migrations', '29990101000003_contract_treatment_description', 'migration.sql'),
        contract,
      );
      const applied = await runDbScript(['deploy'], url, copy);
      expect(applied.code, applied.output).toBe(0);

      const after = await q(`SELECT id, details FROM "Treatment" WHERE id LIKE 't%' ORDER BY id`);
      const expected = original.map((r) => ({
        id: r.id,
        details: r.id === 't1' ? 'edited by old code' : r.id === 't2' ? 'edited by new code' : r.description,
      }));
      expect(after).toEqual(expected);
      expect(after).toHaveLength(ROWS);
      // CI's lint accepts all three.
      const lint = await runDbScript(['lint'], url, copy);
      expect(lint.code, lint.output).toBe(0);
    });
  });
});
