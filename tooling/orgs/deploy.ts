import type { OrgConfig, OrgRecord } from '@acme/db/orgs';
import { checkDrift } from '../migrate/drift.ts';
import { deployMigrations, withDeployLock } from '../migrate/migrate.ts';
import { CENTRAL_SCHEMA, MAIN_SCHEMA, type SchemaTarget } from '../migrate/schema-targets.ts';
import { applyRls } from '../rls/apply.ts';
import { eachBounded } from './each-bounded.ts';
import { type DeployFailure, describeFailure } from './failure.ts';
import { type LocatedOrg, locateDatabases, noDatabase } from './locate.ts';
import { committedFor, type MigrationState, migrationState } from './migrations.ts';
import { type Central, listOrganizations } from './registry.ts';

export interface OrgResult {
  slug: string;
  ok: boolean;
  detail: string;
  /** Set when it failed: the migration, the database's error and the next step. */
  failure?: DeployFailure;
}

/**
 * Brings one organization's database up to date: Prisma only when a
 * migration is pending or failed (a Prisma process costs seconds; reading
 * its history costs one query), and the row-level security every time (the
 * rules can change without a migration).
 */
export async function bringUpToDate(
  url: string,
  target: SchemaTarget = MAIN_SCHEMA,
  committed?: readonly string[],
): Promise<MigrationState> {
  const before = await migrationState(url, target, committed);
  if (before.pending.length || before.failed.length) {
    await deployMigrations(url, { quiet: true, target });
  } else if (target.rls) {
    await withDeployLock(url, () => applyRls(url));
  }
  return before;
}

async function deployOne(located: LocatedOrg, committed: readonly string[]): Promise<OrgResult> {
  const { org, url = '' } = located;
  if (located.error) return failed(org, { error: located.error });
  if (located.missing) return failed(org, { error: noDatabase(org) });
  try {
    const before = await bringUpToDate(url, MAIN_SCHEMA, committed);
    const after = await migrationState(url, MAIN_SCHEMA, committed);
    const applied = after.applied.length - before.applied.length;
    return { slug: org.slug, ok: true, detail: `${applied} applied, now at ${after.version}` };
  } catch (err) {
    return failed(org, await describeFailure(err, url, org.slug));
  }
}

const failed = (org: OrgRecord, failure: DeployFailure): OrgResult => ({
  slug: org.slug,
  ok: false,
  detail: `${failure.migration ? `migration ${failure.migration}: ` : ''}${failure.error}`,
  failure,
});

/**
 * `pnpm db:migrate:deploy` in organization mode: the central database
 * first (a failure there stops everything), then every active organization
 * (or just `only`), `concurrency` at a time, each result printed as it ends.
 */
export async function deployAll(
  config: OrgConfig,
  central: Central,
  opts: { only?: string; concurrency: number; log: (line: string) => void },
): Promise<OrgResult[]> {
  await bringUpToDate(config.centralUrl, CENTRAL_SCHEMA);
  opts.log('central: migrations applied');
  const all = await listOrganizations(central);
  const orgs = opts.only ? all.filter((o) => o.slug === opts.only) : all.filter((o) => o.status === 'active');
  if (opts.only && orgs.length === 0) {
    return [{ slug: opts.only, ok: false, detail: 'no such organization is registered' }];
  }
  const committed = committedFor(MAIN_SCHEMA);
  const located = await locateDatabases(config, orgs, opts.concurrency);
  return eachBounded(located, opts.concurrency, async (l) => {
    const result = await deployOne(l, committed);
    const next = result.failure?.next ? ` (${result.failure.next})` : '';
    opts.log(`${l.org.slug}: ${result.ok ? 'ok' : 'FAILED'}: ${result.detail}${next}`);
    return result;
  });
}

export interface OrgStatus {
  slug: string;
  status: OrgRecord['status'];
  state?: MigrationState;
  drift?: string;
  /** Registered, but its server has no database by its name. */
  missing?: string;
  error?: string;
}

/**
 * `db:org:list` and `db:status`: each organization's migration state, and
 * drift when asked (a scratch database each). Databases that do not exist
 * are found by one listing per server and never connected to.
 */
export async function statusAll(
  config: OrgConfig,
  central: Central,
  opts: { drift: boolean; concurrency: number; only?: string },
): Promise<OrgStatus[]> {
  const orgs = (await listOrganizations(central)).filter((o) => !opts.only || o.slug === opts.only);
  const committed = committedFor(MAIN_SCHEMA);
  const located = await locateDatabases(config, orgs, opts.concurrency);
  return eachBounded(located, opts.concurrency, async ({ org, url = '', missing, error }): Promise<OrgStatus> => {
    const base = { slug: org.slug, status: org.status };
    if (error) return { ...base, error };
    if (missing) return { ...base, missing: noDatabase(org) };
    try {
      const state = await migrationState(url, MAIN_SCHEMA, committed);
      if (!opts.drift || org.status === 'archived') return { ...base, state };
      const drift = await checkDrift(url);
      const text = drift.kind === 'drift' ? `DRIFT\n${drift.sql}` : drift.kind === 'skipped' ? drift.reason : 'none';
      return { ...base, state, drift: text };
    } catch (err) {
      return { ...base, error: (await describeFailure(err, url, org.slug)).error };
    }
  });
}
