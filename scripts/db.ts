/**
 * `pnpm db:*` — one entry point for schema generation and migrations.
 *
 * ZenStack generates the TypeScript schema and a Prisma schema; Prisma
 * Migrate (its WebAssembly engine, see prisma.config.ts) plans and applies
 * migrations in ./migrations. Usage: `tsx scripts/db.ts <command> [flags]`.
 */
import { parseArgs } from 'node:util';
import { readDbConfig } from '../src/config.ts';
import { baseline } from './lib/baseline.ts';
import { describeTarget } from './lib/database.ts';
import { checkDrift } from './lib/drift.ts';
import { deployMigrations, migrateDev } from './lib/migrate.ts';
import { loadDotEnv, runTool } from './lib/tool-env.ts';

const [command = 'help', ...rest] = process.argv.slice(2);
// `pnpm db:migrate -- --name x` forwards the `--` itself.
const argv = rest.filter((a) => a !== '--');

function flags<T extends Record<string, { type: 'string' | 'boolean' }>>(options: T) {
  return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
}

/** DATABASE_URL from the environment or .env; announced without its password. */
function databaseUrl(): string {
  loadDotEnv();
  const url = readDbConfig().connectionString;
  console.log(`[db] ${command}: ${describeTarget(url)}`);
  return url;
}

async function generate(): Promise<number> {
  return (await runTool('zen', ['generate', '--no-version-check', '--no-tips', '--silent'])).code;
}

async function prisma(...args: string[]): Promise<number> {
  return (await runTool('prisma', args)).code;
}

const commands: Record<string, () => Promise<number>> = {
  generate,

  async push() {
    const f = flags({ 'accept-data-loss': { type: 'boolean' }, 'force-reset': { type: 'boolean' } });
    databaseUrl();
    if ((await generate()) !== 0) return 1;
    const extra = [
      ...(f['accept-data-loss'] ? ['--accept-data-loss'] : []),
      ...(f['force-reset'] ? ['--force-reset'] : []),
    ];
    return prisma('db', 'push', '--skip-generate', ...extra);
  },

  async migrate() {
    const f = flags({ name: { type: 'string' }, 'create-only': { type: 'boolean' }, baseline: { type: 'boolean' } });
    const url = databaseUrl();
    if (f.baseline) return baseline(url);
    if ((await generate()) !== 0) return 1;
    return migrateDev(url, { ...(f.name ? { name: f.name } : {}), createOnly: f['create-only'] === true });
  },

  async deploy() {
    flags({});
    await deployMigrations(databaseUrl());
    return 0;
  },

  async status() {
    flags({});
    const url = databaseUrl();
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
    databaseUrl();
    return prisma('migrate', 'reset', '--skip-generate', '--skip-seed', ...(f.force ? ['--force'] : []));
  },

  async baseline() {
    flags({});
    return baseline(databaseUrl());
  },
};

const run = commands[command];
if (!run) {
  console.error(`Unknown command "${command}". Commands: ${Object.keys(commands).join(', ')}`);
  process.exit(64);
}
try {
  process.exitCode = await run();
} catch (err) {
  console.error(`[db] ${command} failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
