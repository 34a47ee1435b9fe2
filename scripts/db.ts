/**
 * `pnpm db:*` — one entry point for schema generation and migrations.
 *
 * ZenStack generates the TypeScript schema and a Prisma schema; Prisma
 * Migrate (its WebAssembly engine, see prisma.config.ts) plans and applies
 * migrations in ./migrations. Usage: `tsx scripts/db.ts <command> [flags]`.
 */
import { parseArgs } from 'node:util';
import { baseline } from './lib/baseline.ts';
import { checkDrift } from './lib/drift.ts';
import { deployMigrations, migrateDev } from './lib/migrate.ts';
import { withTargetDatabase } from './lib/target-database.ts';
import { runTool } from './lib/tool-env.ts';

const [command = 'help', ...rest] = process.argv.slice(2);
// `pnpm db:migrate -- --name x` forwards the `--` itself.
const argv = rest.filter((a) => a !== '--');

function flags<T extends Record<string, { type: 'string' | 'boolean' }>>(options: T) {
  return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
}

async function generate(): Promise<number> {
  return (await runTool('zen', ['generate', '--no-version-check', '--no-tips', '--silent'])).code;
}

async function prisma(...args: string[]): Promise<number> {
  return (await runTool('prisma', args)).code;
}

// Commands that need a database get its URL; `generate` does not.
const commands: Record<string, (url: string) => Promise<number>> = {
  async push() {
    const f = flags({ 'accept-data-loss': { type: 'boolean' }, 'force-reset': { type: 'boolean' } });
    if ((await generate()) !== 0) return 1;
    const extra = [
      ...(f['accept-data-loss'] ? ['--accept-data-loss'] : []),
      ...(f['force-reset'] ? ['--force-reset'] : []),
    ];
    return prisma('db', 'push', '--skip-generate', ...extra);
  },

  async migrate(url) {
    const f = flags({ name: { type: 'string' }, 'create-only': { type: 'boolean' }, baseline: { type: 'boolean' } });
    if (f.baseline) return baseline(url);
    if ((await generate()) !== 0) return 1;
    return migrateDev(url, { ...(f.name ? { name: f.name } : {}), createOnly: f['create-only'] === true });
  },

  async deploy(url) {
    flags({});
    await deployMigrations(url);
    return 0;
  },

  async status(url) {
    flags({});
    const code = await prisma('migrate', 'status');
    const drift = await checkDrift(url);
    if (drift.kind === 'skipped') console.log(`Drift check skipped: ${drift.reason}`);
    if (drift.kind === 'in-sync') console.log('No drift: the database matches the schema its migrations build.');
    if (drift.kind === 'drift') {
      console.error(`Drift detected: the database differs from the migration history.\n\n${drift.sql}\n`);
      return 2;
    }
    return code;
  },

  async reset() {
    const f = flags({ force: { type: 'boolean' } });
    return prisma('migrate', 'reset', '--skip-generate', '--skip-seed', ...(f.force ? ['--force'] : []));
  },

  async baseline(url) {
    flags({});
    return baseline(url);
  },
};

const run = commands[command];
if (!run && command !== 'generate') {
  console.error(`Unknown command "${command}". Commands: generate, ${Object.keys(commands).join(', ')}`);
  process.exit(64);
}
let code: number;
try {
  code = run ? await withTargetDatabase(`db:${command}`, run) : await generate();
} catch (err) {
  console.error(`[db] ${command} failed: ${(err as Error).message}`);
  code = 1;
}
// Explicit: the embedded server's exit hooks would otherwise reset the exit code.
process.exit(code);
