import { spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { checkUrl } from '../src/config.ts';
import { DbConfigError } from '../src/errors/index.ts';
import { readOrgConfig } from '../src/orgs/config.ts';
import { scrubSecret } from '../src/pool.ts';
import { APP_ROLE } from '../src/rls/names.ts';
import { findPgTool, MissingPgToolError, type PgTool, serverMajor } from './backup-tools.ts';
import { retryCatalogConflicts } from './catalog-conflict.ts';
import { databaseName, describeTarget, withClient } from './database.ts';
import { checkSlug } from './org-provision.ts';
import { findOrganization, openCentral, orgCredentials } from './org-registry.ts';
import { ROOT } from './tool-env.ts';

/**
 * `pnpm db:backup` / `pnpm db:restore`: pg_dump's custom format (compressed,
 * restorable table by table, with pg_restore), taken with the client of the
 * server's own major version. Continuous backups and point-in-time recovery
 * are a server-side tool's job (README: pgBackRest), not this one's.
 */

/** Runs a client binary; the password goes in the environment, never on the command line (`ps` shows argv). */
function runPgTool(binary: string, tool: PgTool, url: string, args: string[]): Promise<void> {
  const target = new URL(url);
  const password = decodeURIComponent(target.password);
  target.password = '';
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args, `--dbname=${target.toString()}`], {
      env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(scrubSecret(new Error(`${tool} failed (exit ${code}): ${stderr.trim()}`), url)),
    );
  });
}

function defaultFile(url: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return path.join(ROOT, '.data', 'backups', `${databaseName(url)}-${stamp}.dump`);
}

export async function backupDatabase(url: string, out?: string): Promise<{ file: string; major: number }> {
  const major = await serverMajor(url);
  const pgDump = await findPgTool('pg_dump', major);
  const file = path.resolve(out ?? defaultFile(url));
  mkdirSync(path.dirname(file), { recursive: true });
  await runPgTool(pgDump, 'pg_dump', url, ['--format=custom', '--no-password', `--file=${file}`]);
  return { file, major };
}

/** Relations outside PostgreSQL's own schemas: a database with any is not empty. */
async function userRelations(url: string): Promise<number> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
         AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
    );
    return rows[0]?.n ?? 0;
  });
}

export class NotEmptyError extends Error {
  override readonly name = 'NotEmptyError';
}

/**
 * Restores `file` into the database at `to`: all or nothing (one
 * transaction), owned by the restoring role, grants kept. acme_app is a
 * cluster-wide role a dump does not carry, so it is created first when the
 * server lacks it. A database that already holds tables is refused unless
 * `force` (then its objects are dropped and replaced).
 */
export async function restoreDatabase(file: string, to: string, opts: { force?: boolean } = {}): Promise<void> {
  statSync(file); // a missing file fails here, before anything is touched
  const major = await serverMajor(to);
  const pgRestore = await findPgTool('pg_restore', major);
  const existing = await userRelations(to);
  if (existing > 0 && !opts.force) {
    throw new NotEmptyError(
      `${describeTarget(to)} is not empty (${existing} tables, views or sequences): restore into a new database, or pass --force to replace its contents.`,
    );
  }
  await retryCatalogConflicts(() =>
    withClient(to, (c) =>
      c.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${pg.escapeLiteral(APP_ROLE)}) THEN
          CREATE ROLE ${pg.escapeIdentifier(APP_ROLE)} NOLOGIN NOSUPERUSER NOBYPASSRLS;
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`),
    ),
  );
  const clean = opts.force ? ['--clean', '--if-exists'] : [];
  await runPgTool(pgRestore, 'pg_restore', to, [
    '--no-owner',
    '--exit-on-error',
    '--single-transaction',
    '--no-password',
    ...clean,
    file,
  ]);
}

/**
 * `pnpm db:backup [--org <slug>] [--out file]`: the target database, or with `--org` (organization mode,
 * CENTRAL_DATABASE_URL) that organization's database, wherever the central database says it lives.
 */
export async function backupCommand(url: string | undefined, argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { org: { type: 'string' }, out: { type: 'string' } } });
  try {
    const target = values.org === undefined ? url : await organizationUrl(values.org);
    if (target === undefined) throw new Error('no database to back up: set DATABASE_URL or pass --org <slug>');
    const { file, major } = await backupDatabase(target, values.out);
    console.log(`[db:backup] ${file} (${statSync(file).size} bytes, pg_dump ${major}, custom format)`);
    console.log(`Restore with: pnpm db:restore ${file} --to <empty database URL>`);
    return 0;
  } catch (err) {
    if (err instanceof DbConfigError) {
      // --org outside organization mode (no CENTRAL_DATABASE_URL), or a malformed URL: say which, exit as misuse.
      console.error(`[db:backup] ${err.message}`);
      return 64; // EX_USAGE
    }
    if (err instanceof UnknownOrganizationError) {
      console.error(`[db:backup] ${err.message}`);
      return 66; // EX_NOINPUT
    }
    if (!(err instanceof MissingPgToolError)) throw err;
    console.error(`[db:backup] ${err.message}`);
    return 69; // EX_UNAVAILABLE
  }
}

class UnknownOrganizationError extends Error {}

/** The owner URL of an organization's database, through the same credentials resolver the commands use. */
async function organizationUrl(slug: string): Promise<string> {
  const config = readOrgConfig();
  const central = openCentral(config);
  try {
    const org = await findOrganization(central, checkSlug(slug));
    if (!org) throw new UnknownOrganizationError(`no organization ${slug} (pnpm db:org:list shows them)`);
    return (await orgCredentials(config, org)).ownerUrl;
  } finally {
    await central.close();
  }
}

/** `pnpm db:restore <file> --to <url> [--force]`: needs no DATABASE_URL. */
export async function restoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { to: { type: 'string' }, force: { type: 'boolean' } },
    allowPositionals: true,
  });
  const [file] = positionals;
  if (!file || !values.to || positionals.length > 1) {
    console.error('Usage: pnpm db:restore <file> --to <database URL> [--force]');
    return 64;
  }
  checkUrl('--to', values.to);
  try {
    await restoreDatabase(file, values.to, { force: values.force === true });
  } catch (err) {
    if (!(err instanceof MissingPgToolError || err instanceof NotEmptyError)) throw err;
    console.error(`[db:restore] ${err.message}`);
    return err instanceof NotEmptyError ? 1 : 69;
  }
  console.log(`[db:restore] ${path.resolve(file)} restored into ${describeTarget(values.to)}`);
  console.log('Check it: DATABASE_URL=<that URL> pnpm db:status');
  return 0;
}
