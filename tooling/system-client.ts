import { readDbConfig } from '@acme/db/config';
import { openPool } from '@acme/db/pool';
import { ZenStackClient } from '@zenstackhq/orm';
import { PostgresDialect } from '@zenstackhq/orm/dialects/postgres';
import { schema } from '../zenstack/schema.ts';

/**
 * A client without access rules for the repo's own system jobs (seeding, the
 * demo's probes). Scripts only: the package exports no way around the rules.
 */
export function openScriptSystemClient(url: string) {
  const pool = openPool(readDbConfig({ ...process.env, DATABASE_URL: url, DB_POOL_MAX: '2' }));
  return new ZenStackClient(schema, { dialect: new PostgresDialect({ pool }) });
}
export type ScriptSystemClient = ReturnType<typeof openScriptSystemClient>;
