import type { OrgConfig, OrgRecord } from '@acme/db/orgs';
import { scrubSecret } from '@acme/db/pool';
import { checkDrift } from '../migrate/drift.ts';
import { deployMigrations, withDeployLock } from '../migrate/migrate.ts';
import { CENTRAL_SCHEMA, MAIN_SCHEMA, type SchemaTarget } from '../migrate/schema-targets.ts';
import { applyRls } from '../rls/apply.ts';
import { type MigrationState, migrationState } from './migrations.ts';
import { type Central, listOrganizations, orgCredentials } from './registry.ts';

export interface OrgResult {
  slug: string;
  ok: boolean;
  detail: string;
}

/**
 * Runs `fn` over `items`, at most `limit` at a time. One failing item does not
 * stop the others: every item runs, then the failure is thrown (several
 * together as an AggregateError), so a deploy over 1,000 organizations never
 * leaves the rest unvisited because the third one failed.
 */
export async function eachBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} of ${items.length} items failed`);
  return results;
}

const firstLine = (err: unknown, url: string) =>
  scrubSecret(err instanceof Error ? err : new Error(String(err)), url)
    .message.split('\n')
    .find((l) => l.trim() !== '' && !/migrations? found in/.test(l)) ?? 'failed';

/**
 * Brings one organization's database up to date: Prisma only when a
 * migration is pending or failed (a Prisma process costs seconds; reading
 * its history costs one query), and the row-level security every time (the
 * rules can change without a migration).
 */
export async function bringUpToDate(url: string, target: SchemaTarget = MAIN_SCHEMA): Promise<MigrationState> {
  const before = await migrationState(url, target);
  if (before.pending.length || before.failed.length) {
    await deployMigrations(url, { quiet: true, target });
  } else if (target.rls) {
    await withDeployLock(url, () => applyRls(url));
  }
  return before;
}

async function deployOne(config: OrgConfig, org: OrgRecord): Promise<OrgResult> {
  let url = '';
  try {
    ({ ownerUrl: url } = await orgCredentials(config, org));
    const before = await bringUpToDate(url);
    const after = await migrationState(url, MAIN_SCHEMA);
    const applied = after.applied.length - before.applied.length;
    return { slug: org.slug, ok: true, detail: `${applied} applied, now at ${after.version}` };
  } catch (err) {
    return { slug: org.slug, ok: false, detail: firstLine(err, url) };
  }
}

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
  return eachBounded(orgs, opts.concurrency, async (org) => {
    const result = await deployOne(config, org);
    opts.log(`${org.slug}: ${result.ok ? 'ok' : 'FAILED'}: ${result.detail}`);
    return result;
  });
}

export interface OrgStatus {
  slug: string;
  status: OrgRecord['status'];
  state?: MigrationState;
  drift?: string;
  error?: string;
}

/** `db:org:list` and `db:status`: each organization's migration state, and drift when asked (a scratch database each). */
export async function statusAll(
  config: OrgConfig,
  central: Central,
  opts: { drift: boolean; concurrency: number; only?: string },
): Promise<OrgStatus[]> {
  const orgs = (await listOrganizations(central)).filter((o) => !opts.only || o.slug === opts.only);
  return eachBounded(orgs, opts.concurrency, async (org): Promise<OrgStatus> => {
    let url = '';
    try {
      ({ ownerUrl: url } = await orgCredentials(config, org));
      const state = await migrationState(url, MAIN_SCHEMA);
      if (!opts.drift || org.status === 'archived') return { slug: org.slug, status: org.status, state };
      const drift = await checkDrift(url);
      const text = drift.kind === 'drift' ? `DRIFT\n${drift.sql}` : drift.kind === 'skipped' ? drift.reason : 'none';
      return { slug: org.slug, status: org.status, state, drift: text };
    } catch (err) {
      return { slug: org.slug, status: org.status, error: firstLine(err, url) };
    }
  });
}
