import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateRlsSql } from '@acme/db/rls';
import pg from 'pg';

/** The committed, reviewable policy script (checked for drift with the rest of zenstack/). */
export const RLS_SQL = path.resolve(import.meta.dirname, '../../zenstack/rls.sql');

/** Regenerates zenstack/rls.sql from the freshly generated schema; a rule it cannot express throws. */
export async function writeRlsSql(): Promise<string> {
  // Imported here, after `zen generate` rewrote it, never a stale copy.
  const { schema } = await import(`../../zenstack/schema.ts?t=${Date.now()}`);
  const sql = generateRlsSql(schema);
  writeFileSync(RLS_SQL, sql);
  return sql;
}

/**
 * Applies zenstack/rls.sql as one simple query: one implicit transaction, so
 * a failure leaves the previous policies in place. Runs as the migration
 * (owner) role, which needs CREATEROLE the first time (it creates acme_app).
 */
export async function applyRls(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(readFileSync(RLS_SQL, 'utf8'));
  } finally {
    await client.end();
  }
}
