/**
 * The README's Reliability section lists the CHECK constraints PostgreSQL holds: exactly those, no more, no
 * fewer, in a database built from the committed migrations. A migration that adds or drops one (a new model's
 * `@length` CHECKs, say) needs the table updated, so the README cannot claim limits PostgreSQL does not hold.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { withClient } from '../tooling/database.ts';

const README = path.resolve(import.meta.dirname, '../README.md');

/** The constraint names in the third column of the limits table under "## Reliability". */
function documentedChecks(): string[] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('## Reliability');
  const section = text.slice(start, text.indexOf('\n## ', start + 1));
  const rows = section.split('\n').filter((l) => /^\s*\| `/.test(l));
  const names = rows.flatMap((r) => [...(r.split('|')[3] ?? '').matchAll(/`([A-Z][A-Za-z]*_[A-Za-z_]+)`/g)]);
  return names.map((m) => m[1] as string).sort();
}

it('PostgreSQL holds exactly the CHECK constraints the README lists', async () => {
  const documented = documentedChecks();
  expect(documented).toContain('Clinic_name_length');
  const live = await withClient(process.env.DATABASE_URL as string, async (c) => {
    const { rows } = await c.query(
      `SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace ORDER BY 1`,
    );
    return rows.map((r) => r.conname as string).sort();
  });
  expect(live).toEqual(documented);
});
