import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, runTool } from '../tool-env.ts';

/**
 * `pnpm db:pull`: introspects the database into a zmodel file with
 * ZenStack's own `zen db pull` (it runs offline: ZenStack introspects with
 * its own queries, no Prisma engine). The result is a starting point to
 * review, not a schema to commit as is (see README "Onboarding an existing
 * database"): access rules, @@validate, CHECK constraints, partial indexes
 * and function defaults other than now()/autoincrement() need hand work.
 */
export async function pullSchema(url: string, out: string): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'acme-pull-'));
  try {
    // A bare datasource: zen db pull merges into the schema it is given.
    const base = path.join(dir, 'schema.zmodel');
    writeFileSync(base, "datasource db {\n  provider = 'postgresql'\n  url      = env('DATABASE_URL')\n}\n");
    const target = path.resolve(ROOT, out);
    mkdirSync(path.dirname(target), { recursive: true });
    const res = await runTool('zen', ['db', 'pull', '--schema', base, '--output', target, '--no-version-check'], {
      env: { DATABASE_URL: url },
    });
    if (res.code === 0) console.log(`[db:pull] wrote ${path.relative(ROOT, target)}: review it before use (README)`);
    return res.code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
