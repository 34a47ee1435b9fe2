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
import { loadDotEnv, runTool } from './lib/tool-env.ts';

const [command = 'help', ...rest] = process.argv.slice(2);
// `pnpm db:migrate -- --name x` forwards the `--` itself.
const argv = rest.filter((a) => a !== '--');

function flags<T extends Record<string, { type: 'string' | 'boolean' }>>(options: T) {
  return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
}

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

async function status(): Promise<number> {
  const code = await prisma('migrate', 'status');
  const drift = await checkDrift(databaseUrlCached);
  if (drift.kind === 'skipped') console.log(`Drift check skipped: ${drift.reason}`);
  else if (drift.kind === 'in-sync')
    console.log('No drift: the database matches the schema the applied migrations build.');
  else {
    console.error(
      `Drift detected: the database differs from the migration history.\nSQL from the migrations' schema to the live one:\n\n${drift.sql}\n`,
    );
    return 2;
  }
  return code;
}

let databaseUrlCached = '';
const commands: Record<string, () => Promise<number>> = {
  generate,
  async push() {
    const f = flags({ 'accept-data-loss': { type: 'boolean' }, 'force-reset': { type: 'boolean' } });
    databaseUrl();
    if ((await generate()) !== 0) return 1;
    return prisma(
      'db',
      'push',
      '--skip-generate',
      ...(f['accept-data-loss'] ? ['--accept-data-loss'] : []),
      ...(f['force-reset'] ? ['--force-reset'] : []),
    );
  },
  async migrate() {
    const f = flags({ name: { type: 'string' }, 'create-only': { type: 'boolean' }, baseline: { type: 'boolean' } });
    databaseUrlCached = databaseUrl();
    if (f.baseline) return baseline(databaseUrlCached);
    if ((await generate()) !== 0) return 1;
    // Without a TTY Prisma cannot prompt for a name; give it one instead of failing.
    const name = f.name ?? (process.stdin.isTTY ? undefined : 'migration');
    return prisma(
      'migrate',
      'dev',
      '--skip-generate',
      '--skip-seed',
      ...(name ? ['--name', name] : []),
      ...(f['create-only'] ? ['--create-only'] : []),
    );
  },
  async deploy() {
    flags({});
    databaseUrl();
    return prisma('migrate', 'deploy');
  },
  async status() {
    flags({});
    databaseUrlCached = databaseUrl();
    return status();
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
