/**
 * Which registered organizations have a database, asked once per server
 * (`pg_database`) instead of a connection attempt per organization: at
 * 10,000 registered and 1,000 databases, db:org:list spent minutes on 9,000
 * failed connections. A server that cannot be reached is reported once for
 * all of its organizations.
 */
import type { OrgConfig, OrgRecord } from '@acme/db/orgs';
import { scrubSecret } from '@acme/db/pool';
import { databaseName, withDatabase } from '../database.ts';
import { eachBounded } from './each-bounded.ts';
import { firstLine } from './failure.ts';
import { withQuickClient } from './migrations.ts';
import { orgCredentials } from './registry.ts';

export interface LocatedOrg {
  org: OrgRecord;
  /** Owner URL of its database (absent when the credentials could not be resolved). */
  url?: string;
  /** Its server lists no database by that name. */
  missing?: boolean;
  /** Why it cannot be looked at: unknown server, server unreachable. */
  error?: string;
}

const scrubbed = (err: unknown, url: string) =>
  firstLine(scrubSecret(err instanceof Error ? err : new Error(String(err)), url).message);

/** An error PostgreSQL answered (a SQLSTATE), as opposed to a server that did not answer at all. */
const answered = (err: unknown) => /^[0-9A-Z]{5}$/.test(String((err as { code?: unknown })?.code ?? ''));

export async function locateDatabases(
  config: OrgConfig,
  orgs: OrgRecord[],
  concurrency: number,
): Promise<LocatedOrg[]> {
  const located = await Promise.all(
    orgs.map(async (org): Promise<LocatedOrg> => {
      try {
        return { org, url: (await orgCredentials(config, org)).ownerUrl };
      } catch (err) {
        return { org, error: scrubbed(err, '') };
      }
    }),
  );
  const byServer = new Map<string, LocatedOrg[]>();
  for (const l of located) {
    if (!l.url) continue;
    const server = withDatabase(l.url, 'postgres');
    byServer.set(server, [...(byServer.get(server) ?? []), l]);
  }
  await eachBounded([...byServer], concurrency, async ([server, list]) => {
    try {
      const names = await withQuickClient(server, async (c) => {
        const { rows } = await c.query<{ datname: string }>('SELECT datname FROM pg_database');
        return new Set(rows.map((r) => r.datname));
      });
      for (const l of list) if (!names.has(databaseName(l.url as string))) l.missing = true;
    } catch (err) {
      // The server answered but refused this listing (no "postgres" database, no right to it):
      // leave each organization to its own connection, as before.
      if (answered(err)) return;
      const why = `server unreachable: ${scrubbed(err, server)}`;
      for (const l of list) l.error = why;
    }
  });
  return located;
}

/** How a missing database is named in the output: its name and server, no credentials. */
export const noDatabase = (org: OrgRecord) =>
  `no database ${org.dbName} on ${org.dbServer ? `server ${org.dbServer}` : 'the default server'}`;
