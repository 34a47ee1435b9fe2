import type { CentralClient, OrgConfig, OrgRecord } from '@acme/db/orgs';
import { defaultCredentialsResolver, type OrgCredentials } from '@acme/db/orgs';
import { ZenStackClient } from '@zenstackhq/orm';
import { PostgresDialect } from '@zenstackhq/orm/dialects/postgres';
import pg from 'pg';
import { schema } from '../../zenstack/central/schema.ts';
import { databaseName, withClient, withDatabase } from '../database.ts';
import { deployMigrations } from '../migrate/migrate.ts';
import { CENTRAL_SCHEMA } from '../migrate/schema-targets.ts';
import { migrationState } from './migrations.ts';

export interface Central {
  db: CentralClient;
  close(): Promise<void>;
}

/** The central database for a command: a small pool, no access rules (commands are system work). */
export function openCentral(config: OrgConfig): Central {
  const pool = new pg.Pool({ connectionString: config.centralUrl, max: 2, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  const db = new ZenStackClient(schema, { dialect: new PostgresDialect({ pool }) }) as unknown as CentralClient;
  return { db, close: () => pool.end() };
}

/**
 * Creates the central database when its server has none by that name (the
 * first `db:org:create` on a new server, e.g. the development one, needs no
 * `createdb` first), then applies the central migrations when some are
 * pending (one query when none are).
 */
export async function ensureCentralMigrated(config: OrgConfig): Promise<void> {
  const name = databaseName(config.centralUrl);
  await withClient(withDatabase(config.centralUrl, 'postgres'), async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch(ignoreDuplicate);
  });
  const state = await migrationState(config.centralUrl, CENTRAL_SCHEMA);
  if (state.pending.length || state.failed.length) {
    await deployMigrations(config.centralUrl, { quiet: true, target: CENTRAL_SCHEMA });
  }
}

/** Two creates at once: the other one made it (42P04 duplicate_database; 23505 from the catalog's unique index). */
const ignoreDuplicate = (err: { code?: string }) => {
  if (err.code !== '42P04' && err.code !== '23505') throw err;
};

const SELECT = { id: true, slug: true, name: true, status: true, dbServer: true, dbName: true } as const;

export async function listOrganizations(central: Central): Promise<OrgRecord[]> {
  return central.db.organization.findMany({ select: SELECT, orderBy: { slug: 'asc' } });
}

export async function findOrganization(central: Central, slug: string): Promise<OrgRecord | null> {
  return central.db.organization.findUnique({ where: { slug }, select: SELECT });
}

/** The connection strings of an organization's database, from the default resolver (the commands' environment). */
export function orgCredentials(config: OrgConfig, org: Pick<OrgRecord, 'slug' | 'dbServer' | 'dbName'>) {
  return defaultCredentialsResolver(config)(org) as Promise<OrgCredentials>;
}
