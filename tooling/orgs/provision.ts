import { ORG_SLUG } from '@acme/auth';
import type { OrgConfig, OrgRecord } from '@acme/db/orgs';
import { newDatabaseName, organizationsChanged } from '@acme/db/orgs';
import pg from 'pg';
import { databaseName, withDatabase } from '../database.ts';
import { MAIN_SCHEMA } from '../migrate/schema-targets.ts';
import { ensureAppLogin } from '../rls/app-role.ts';
import { bringUpToDate } from './deploy.ts';
import { migrationState, withQuickClient } from './migrations.ts';
import { type Central, ensureCentralMigrated, findOrganization, orgCredentials } from './registry.ts';

/** A refusal the command reports as usage error (exit 64): nothing was changed. */
export class OrgCommandError extends Error {
  override readonly name = 'OrgCommandError';
}

export function checkSlug(slug: string | undefined): string {
  if (!slug || !ORG_SLUG.test(slug)) {
    throw new OrgCommandError(
      `Invalid organization slug ${JSON.stringify(slug ?? '')}: it must match ^[a-z][a-z0-9-]{1,40}$ ` +
        '(a lower-case letter, then 1-40 lower-case letters, digits or hyphens).',
    );
  }
  return slug;
}

/** Set on a database while db:org:create builds it: a retry may start it over, since no organization uses it yet. */
const PROVISIONING = 'acme-db: organization database being provisioned';

export interface CreateResult {
  record: OrgRecord;
  /** False when the organization was already registered (the command is idempotent). */
  registered: boolean;
}

/**
 * `pnpm db:org:create`: creates the database, applies the migrations and
 * the row-level security, then registers the organization, in that order.
 * Until the last step nothing in the central database names it, so a
 * failure anywhere leaves no organization registered, and running it again
 * completes the work (a half-migrated database that it created itself is
 * started over). An organization already registered is left as it is,
 * after its database is brought up to date.
 */
export async function createOrganization(
  config: OrgConfig,
  central: Central,
  input: { slug: string; name?: string; server?: string },
  log: (line: string) => void = () => {},
): Promise<CreateResult> {
  const slug = checkSlug(input.slug);
  await ensureCentralMigrated(config);
  const existing = await findOrganization(central, slug);
  if (existing && input.server !== undefined && input.server !== (existing.dbServer ?? '')) {
    log(`${slug} is already registered on server ${existing.dbServer ?? '(default)'}: --server ignored`);
  }
  const dbServer = existing ? existing.dbServer : input.server || null;
  const dbName = existing ? existing.dbName : newDatabaseName(config, slug, dbServer);
  const { ownerUrl } = await orgCredentials(config, { slug, dbServer, dbName });

  await ensureDatabase(ownerUrl, !existing, log);
  await ensureAppLogin(withDatabase(ownerUrl, 'postgres'), config.appLogin);
  await bringUpToDate(ownerUrl);
  log(`${slug}: database ${dbName} migrated (${(await migrationState(ownerUrl, MAIN_SCHEMA)).version})`);

  if (existing) return { record: existing, registered: false };
  try {
    const record = await central.db.organization.create({
      data: { slug, name: input.name ?? slug, dbServer, dbName },
      select: { id: true, slug: true, name: true, status: true, dbServer: true, dbName: true },
    });
    await withQuickClient(ownerUrl, (c) => c.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(dbName)} IS NULL`));
    organizationsChanged(); // this process may already hold a list without it (the demo's second organization)
    return { record, registered: true };
  } catch (err) {
    // Two creates of one slug at once: the other one registered it.
    const again = await findOrganization(central, slug);
    if (again) {
      organizationsChanged();
      return { record: again, registered: false };
    }
    throw err;
  }
}

/**
 * Creates the organization's database if it does not exist. When
 * `mayRestart` (nothing registered yet) and a previous attempt of ours left
 * it with a migration started but never finished, it is dropped and made
 * again: Prisma would refuse to continue (P3009), and no one uses it yet.
 */
async function ensureDatabase(ownerUrl: string, mayRestart: boolean, log: (line: string) => void): Promise<void> {
  const name = databaseName(ownerUrl);
  const admin = withDatabase(ownerUrl, 'postgres');
  const exists = async () =>
    withQuickClient(admin, async (c) => {
      const { rows } = await c.query<{ comment: string | null }>(
        'SELECT shobj_description(oid, $2) AS comment FROM pg_database WHERE datname = $1',
        [name, 'pg_database'],
      );
      return rows[0] ? { comment: rows[0].comment } : undefined;
    });
  const found = await exists();
  if (found && mayRestart && found.comment === PROVISIONING) {
    const state = await migrationState(ownerUrl, MAIN_SCHEMA);
    if (state.failed.length) {
      log(`${name}: an earlier attempt stopped during migration ${state.failed.join(', ')}; starting it over`);
      await withQuickClient(admin, (c) => c.query(`DROP DATABASE ${pg.escapeIdentifier(name)} WITH (FORCE)`));
    } else {
      log(`${name}: continuing an earlier attempt`);
      return;
    }
  } else if (found) {
    return;
  }
  await withQuickClient(admin, async (c) => {
    try {
      await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err; // created meanwhile by a concurrent run
    }
    await c.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(name)} IS ${pg.escapeLiteral(PROVISIONING)}`);
  });
  log(`${name}: database created`);
}

/** `db:org:suspend` / `archive` / `activate`. */
export async function setOrganizationStatus(
  central: Central,
  slug: string,
  status: OrgRecord['status'],
): Promise<{ before: OrgRecord['status'] }> {
  const existing = await findOrganization(central, checkSlug(slug));
  if (!existing) throw new OrgCommandError(`No organization ${JSON.stringify(slug)} is registered.`);
  if (existing.status === 'archived' && status !== 'archived') {
    throw new OrgCommandError(`${slug} is archived: an archived organization is not brought back by a command.`);
  }
  await central.db.organization.update({ where: { slug }, data: { status } });
  return { before: existing.status };
}
