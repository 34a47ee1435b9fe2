/**
 * `pnpm db:*` — one entry point for schema generation and migrations.
 *
 * ZenStack generates the TypeScript schema and a Prisma schema; Prisma
 * Migrate (its WebAssembly engine, see prisma.config.ts) plans and applies
 * migrations in ./migrations. Usage: `tsx scripts/db.ts <command> [flags]`.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { APP_ROLE } from '@acme/db/rls';
import { missingUpdatedAtMessage, parentsWithoutUpdatedAt } from '../src/nested-write-parent.ts';
import { backupCommand, restoreCommand } from '../tooling/backup/backup.ts';
import { describeTarget } from '../tooling/database.ts';
import { exitFlushed } from '../tooling/exit-flushed.ts';
import { changedGenerated, snapshotGenerated } from '../tooling/generated-files.ts';
import { baseline } from '../tooling/migrate/baseline.ts';
import { pullSchema } from '../tooling/migrate/db-pull.ts';
import { checkDrift } from '../tooling/migrate/drift.ts';
import { deployMigrations, migrateDev, withDeployLock } from '../tooling/migrate/migrate.ts';
import { CENTRAL_SCHEMA } from '../tooling/migrate/schema-targets.ts';
import { lintCommittedMigrations } from '../tooling/migration-lint/command.ts';
import { isOrgCommand, runOrgCommand } from '../tooling/orgs/commands.ts';
import { ensureAppLogin } from '../tooling/rls/app-role.ts';
import { applyRls, writeRlsSql } from '../tooling/rls/apply.ts';
import { withTargetDatabase } from '../tooling/target-database.ts';
import { runTool } from '../tooling/tool-env.ts';

const [command = 'help', ...rest] = process.argv.slice(2);
// `pnpm db:migrate -- --name x` forwards the `--` itself.
const argv = rest.filter((a) => a !== '--');

function flags<T extends Record<string, { type: 'string' | 'boolean' }>>(options: T) {
  return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
}

/** `withCentral`: also the central schema of organization mode (db:generate; push and migrate need only the main one). */
async function generate(withCentral = true): Promise<number> {
  const before = snapshotGenerated();
  const code = (await runTool('zen', ['generate', '--no-version-check', '--no-tips', '--silent'])).code;
  if (code !== 0) return code;
  if (withCentral) {
    // Quiet: its output is shown only when it fails.
    const centralArgs = ['generate', '--schema', CENTRAL_SCHEMA.zmodel, '--no-version-check', '--silent'];
    const central = await runTool('zen', centralArgs, { quiet: true });
    if (central.code !== 0) {
      console.error(`[db:generate] ${CENTRAL_SCHEMA.zmodel}:\n${central.stdout}${central.stderr}`);
      return central.code;
    }
  }
  let sql: string;
  try {
    sql = await writeRlsSql();
    // Imported after `zen generate` rewrote it: the schema as the zmodel now says.
    const { schema } = await import(`../zenstack/schema.ts?t=${Date.now()}`);
    const missing = parentsWithoutUpdatedAt(schema);
    if (missing.length > 0) throw new Error(missingUpdatedAtMessage(missing));
  } catch (err) {
    console.error(`[db:generate] ${(err as Error).message}`);
    return 1;
  }
  const count = (re: RegExp) => sql.match(re)?.length ?? 0;
  const changed = changedGenerated(before, snapshotGenerated());
  const sources = `zenstack/*.zmodel${withCentral ? ' and zenstack/central/schema.zmodel' : ''}`;
  const policies = `rls.sql: ${count(/^CREATE POLICY/gm)} policies on ${count(/ENABLE ROW LEVEL SECURITY/g)} tables`;
  console.log(
    changed.length === 0
      ? `[db:generate] no file changed: the generated code already matched ${sources} (${policies})`
      : `[db:generate] ${changed.length} file(s) changed to match ${sources}: ${changed.join(', ')} (${policies})`,
  );
  return 0;
}

/** db:reset's question; a shell that cannot answer it is told about --force. */
async function confirmReset(url: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    console.error('db:reset drops every table and needs a yes: run it in a terminal, or pass `-- --force`.');
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`Drop everything in ${describeTarget(url)} and re-apply all migrations? [y/N] `);
    const yes = /^y(es)?$/i.test(answer.trim());
    if (!yes) console.log('Not reset: nothing changed.');
    return yes;
  } finally {
    rl.close();
  }
}

async function prisma(...args: string[]): Promise<number> {
  return (await runTool('prisma', args)).code;
}

// Commands that need a database get its URL; `generate` does not.
const commands: Record<string, (url: string) => Promise<number>> = {
  async push() {
    const f = flags({ 'accept-data-loss': { type: 'boolean' }, 'force-reset': { type: 'boolean' } });
    const extra = [
      ...(f['accept-data-loss'] ? ['--accept-data-loss'] : []),
      ...(f['force-reset'] ? ['--force-reset'] : []),
    ];
    return prisma('db', 'push', '--skip-generate', ...extra);
  },

  async migrate(url) {
    const f = flags({
      name: { type: 'string' },
      'create-only': { type: 'boolean' },
      baseline: { type: 'boolean' },
      'allow-unsafe': { type: 'boolean' },
    });
    if (f.baseline) return baseline(url);
    return migrateDev(url, {
      ...(f.name ? { name: f.name } : {}),
      createOnly: f['create-only'] === true,
      allowUnsafe: f['allow-unsafe'] === true,
    });
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

  async reset(url) {
    const f = flags({ force: { type: 'boolean' } });
    // Asked here, not by Prisma: its prompt needs unfiltered output, and with it Prisma's config and `url` notes.
    if (!f.force && !(await confirmReset(url))) return 1;
    return withDeployLock(url, async () => {
      const { code } = await runTool('prisma', ['migrate', 'reset', '--skip-generate', '--skip-seed', '--force']);
      if (code === 0) await applyRls(url);
      return code;
    });
  },

  /** Creates or updates the login APP_DATABASE_URL names: LOGIN, no bypass, a member of acme_app. */
  async roles(url) {
    flags({});
    const app = process.env.APP_DATABASE_URL;
    if (!app) {
      console.error(
        'APP_DATABASE_URL is not set: set it to the connection string sessions should use (see .env.example).',
      );
      return 64;
    }
    const parsed = new URL(app);
    const user = decodeURIComponent(parsed.username);
    if (!user || !parsed.password) {
      console.error('APP_DATABASE_URL must name a user and a password.');
      return 64;
    }
    await ensureAppLogin(url, { user, password: decodeURIComponent(parsed.password) });
    console.log(`${user} can log in as a member of ${APP_ROLE} (sessions: ${describeTarget(app)}).`);
    console.log('The policies come with `pnpm db:migrate:deploy` (zenstack/rls.sql after the migrations).');
    return 0;
  },

  async baseline(url) {
    flags({});
    return baseline(url);
  },

  /** Introspects the database into a zmodel file (`-- --out path`, default .data/pull/schema.zmodel). */
  async pull(url) {
    const f = flags({ out: { type: 'string' } });
    return pullSchema(url, f.out ?? '.data/pull/schema.zmodel');
  },
  backup: (url) => backupCommand(url, argv),
};

// Organization mode (CENTRAL_DATABASE_URL) and the db:org:* commands: tooling/orgs/commands.ts.
if (isOrgCommand(command)) await exitFlushed(await runOrgCommand(command, argv));

const run = commands[command];
// An organization's backup finds its database through the central one, never DATABASE_URL.
if (command === 'backup' && argv.some((a) => a === '--org' || a.startsWith('--org='))) {
  await exitFlushed(
    await backupCommand(undefined, argv).catch((err: Error) => {
      console.error(`[db] backup failed: ${err.message}`);
      return 1;
    }),
  );
}
// restore names its own target (--to), never DATABASE_URL's.
if (command === 'restore') {
  await exitFlushed(
    await restoreCommand(argv).catch((err: Error) => {
      console.error(`[db] restore failed: ${err.message}`);
      return 1;
    }),
  );
}
if (!run && command !== 'generate' && command !== 'lint') {
  console.error(`Unknown command "${command}". Commands: generate, lint, restore, ${Object.keys(commands).join(', ')}`);
  await exitFlushed(64);
}
// Schema errors are reported before any database is started or reached.
const regenerates = ['generate', 'push', 'migrate'].includes(command) && !argv.includes('--baseline');
let code: number;
try {
  code = regenerates
    ? await generate(command === 'generate')
    : command === 'lint'
      ? await lintCommittedMigrations()
      : 0;
  if (code === 0 && run) code = await withTargetDatabase(`db:${command}`, run);
} catch (err) {
  console.error(`[db] ${command} failed: ${(err as Error).message}`);
  code = 1;
}
// Explicit: the embedded server's exit hooks would otherwise reset the exit code.
await exitFlushed(code);
