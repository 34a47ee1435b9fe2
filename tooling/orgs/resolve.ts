/**
 * `pnpm db:org:resolve <slug> --rolled-back <migration>` (or `--applied`):
 * after a migration failed in one organization's database, Prisma refuses
 * every later deploy there (P3009) until the failure is resolved. Prisma's
 * own `migrate resolve --rolled-back` needs its native engine binary, which
 * this repo never downloads, so the rolled-back mark is written here as
 * Prisma writes it (`rolled_back_at` on the failed row). Our migrations run
 * as one transaction each (tooling/migrate/schema-engine-adapter.ts), so a
 * failed one left nothing behind and rolled back is the usual answer;
 * `--applied` (Prisma's CLI, which works offline) is for a migration an
 * operator finished by hand.
 */
import type { OrgConfig } from '@acme/db/orgs';
import { scrubSecret } from '@acme/db/pool';
import { withClient } from '../database.ts';
import { withDeployLock } from '../migrate/migrate.ts';
import { MAIN_SCHEMA } from '../migrate/schema-targets.ts';
import { runTool } from '../tool-env.ts';
import { firstLine } from './failure.ts';
import { committedFor } from './migrations.ts';
import { checkSlug, OrgCommandError } from './provision.ts';
import { type Central, findOrganization, orgCredentials } from './registry.ts';

export interface ResolveInput {
  slug: string;
  rolledBack?: string;
  applied?: string;
}

const USAGE = 'usage: pnpm db:org:resolve <slug> --rolled-back <migration> | --applied <migration>';

export async function resolveMigration(config: OrgConfig, central: Central, input: ResolveInput): Promise<string> {
  const slug = checkSlug(input.slug);
  if (Boolean(input.rolledBack) === Boolean(input.applied)) throw new OrgCommandError(USAGE);
  const migration = (input.rolledBack ?? input.applied) as string;
  if (!committedFor(MAIN_SCHEMA).includes(migration)) {
    throw new OrgCommandError(`${JSON.stringify(migration)} is not a committed migration (migrations/). ${USAGE}`);
  }
  const org = await findOrganization(central, slug);
  if (!org) throw new OrgCommandError(`No organization ${JSON.stringify(slug)} is registered.`);
  const { ownerUrl } = await orgCredentials(config, org);
  // Under the deploy lock: never while a deploy of this database is running.
  return withDeployLock(ownerUrl, async () => {
    if (input.rolledBack) return markRolledBack(ownerUrl, slug, migration);
    const res = await runTool('prisma', ['migrate', 'resolve', '--applied', migration], {
      env: { DATABASE_URL: ownerUrl },
      quiet: true,
    });
    if (res.code !== 0) {
      const why = firstLine(scrubSecret(new Error(`${res.stdout}\n${res.stderr}`), ownerUrl).message);
      throw new OrgCommandError(`${slug}: ${migration} not recorded as applied: ${why}`);
    }
    return `${slug}: ${migration} recorded as applied (its SQL was not run); deploy again for the rest`;
  });
}

async function markRolledBack(url: string, slug: string, migration: string): Promise<string> {
  const rowCount = await withClient(url, async (c) => {
    const { rows } = await c.query(`SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS ok`);
    if (!rows[0]?.ok) return 0;
    const res = await c.query(
      `UPDATE _prisma_migrations SET rolled_back_at = now()
        WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL`,
      [migration],
    );
    return res.rowCount ?? 0;
  });
  if (rowCount === 0) {
    throw new OrgCommandError(`${slug}: ${migration} has not failed there: nothing to resolve, nothing changed.`);
  }
  return `${slug}: ${migration} marked rolled back; db:migrate:deploy applies it again`;
}
