/**
 * Organization mode on two real servers: the file's test server (central
 * database, the default server of the organizations) and an extra embedded
 * one (server "b"). Sets the process environment the package reads
 * (CENTRAL_DATABASE_URL, ORG_DATABASE_URL_TEMPLATE, ORG_SERVER_B_URL) and
 * returns the same for child processes (`pnpm db:*`). Every database it made
 * is dropped afterwards and the extra server stopped.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { closeDb } from '../../src/index.ts';
import { createScratchDatabase, dropDatabase, withClient, withDatabase } from '../../tooling/database.ts';
import { appUrl, ensureAppLogin } from '../../tooling/rls/app-role.ts';
import { type ExtraServer, startExtraServer } from '../support/postgres-server.ts';
import { runDbScript } from '../support/run-db-script.ts';

export interface TwoServers {
  serverA: string;
  serverB: ExtraServer;
  centralUrl: string;
  /** Database names of this file's organizations start with it. */
  prefix: string;
  /** Tags every connection the package opens (pg_stat_activity.application_name). */
  applicationName: string;
  env: Record<string, string>;
  /** Drops the organization and central databases, stops server b (call from a top-level afterAll). */
  close(): Promise<void>;
  /** `pnpm db:<args>` in a child process with this environment. */
  db(args: string[]): Promise<{ code: number; output: string }>;
  /** Owner URL of an organization database by name, on server a or b. */
  orgDbUrl(server: 'a' | 'b', dbName: string): string;
  /** Open connections tagged with applicationName on both servers. */
  openConnections(): Promise<number>;
  /** Samples openConnections on one connection per server until `onCount` returns false. */
  watchConnections(onCount: (n: number) => boolean): Promise<void>;
}

export async function twoServers(extraEnv: Record<string, string> = {}): Promise<TwoServers> {
  const serverA = inject('testServerUrl');
  const serverB = await startExtraServer();
  const login = { user: 'acme_app', password: inject('appRolePassword') };
  await ensureAppLogin(serverB.url, login);
  const centralUrl = await createScratchDatabase(serverA, 'acme_central');
  const prefix = `org${randomBytes(3).toString('hex')}_`;
  const applicationName = `acme-orgs-${randomBytes(3).toString('hex')}`;
  const template = (server: string) => withDatabase(server, `${prefix}{slug}`).replace('%7Bslug%7D', '{slug}');
  const env: Record<string, string> = {
    CENTRAL_DATABASE_URL: centralUrl,
    ORG_DATABASE_URL_TEMPLATE: template(serverA),
    ORG_SERVER_B_URL: template(serverB.url),
    APP_DATABASE_URL: appUrl(centralUrl, login),
    DB_APPLICATION_NAME: applicationName,
    ORG_DIRECTORY_TTL_MS: '200',
    ...extraEnv,
  };
  Object.assign(process.env, env);

  // Called from the file's top-level afterAll: a hook registered inside beforeAll never runs.
  const close = async () => {
    try {
      await closeDb();
      for (const key of Object.keys(env)) delete process.env[key];
      await dropOrgDatabases();
      await dropDatabase(centralUrl);
    } finally {
      await serverB.stop();
    }
  };
  const servers = (): string[] => [serverA, serverB.url];
  // Server b goes with its data directory; only the shared server a needs its databases dropped.
  const dropOrgDatabases = () =>
    withClient(withDatabase(serverA, 'postgres'), async (c) => {
      const { rows } = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
        `${prefix}%`,
      ]);
      for (const { datname } of rows) await c.query(`DROP DATABASE ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }).catch(() => {});

  return {
    serverA,
    serverB,
    centralUrl,
    prefix,
    applicationName,
    env,
    close,
    db: (args) => runDbScript(args, centralUrl, undefined, env),
    orgDbUrl: (server, dbName) => withDatabase(server === 'a' ? serverA : serverB.url, dbName),
    openConnections: async () => {
      let total = 0;
      for (const server of servers()) {
        total += await withClient(server, async (c) => {
          const { rows } = await c.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
            [applicationName],
          );
          return rows[0]?.n ?? 0;
        });
      }
      return total;
    },
    watchConnections: async (onCount) => {
      const clients = servers().map((s) => new pg.Client({ connectionString: s }));
      await Promise.all(clients.map((c) => c.connect()));
      try {
        const sql = 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1';
        for (;;) {
          const counts = await Promise.all(clients.map((c) => c.query<{ n: number }>(sql, [applicationName])));
          if (!onCount(counts.reduce((n, r) => n + (r.rows[0]?.n ?? 0), 0))) return;
          await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        await Promise.all(clients.map((c) => c.end()));
      }
    },
  };
}
