import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb, createSystemDb, orgPoolStats } from '../../src/index.ts';
import { withClient } from '../../tooling/database.ts';
import { deployMigrations } from '../../tooling/migrate/migrate.ts';
import { CENTRAL_SCHEMA } from '../../tooling/migrate/schema-targets.ts';
import { eachBounded } from '../../tooling/orgs/deploy.ts';
import { type TwoServers, twoServers } from './two-servers.ts';

const CAP = 12;
const REGISTERED = 1_000;
const USED = 200;
let t: TwoServers;

const slugOf = (i: number) => `org-${String(i).padStart(4, '0')}`;

beforeAll(async () => {
  t = await twoServers({
    DB_MAX_CONNECTIONS_TOTAL: String(CAP),
    DB_POOL_MAX: '3',
    DB_POOL_TIMEOUT_MS: '30000',
    DB_IDLE_TIMEOUT_MS: '60000',
    ORG_DIRECTORY_TTL_MS: '60000',
  });
  // One migrated database per server as a template: 200 `db:org:create`s would take minutes.
  const template = `${t.prefix}template`;
  await Promise.all(
    (['a', 'b'] as const).map(async (server) => {
      await withClient(t.orgDbUrl(server, 'postgres'), (c) =>
        c.query(`CREATE DATABASE ${pg.escapeIdentifier(template)}`),
      );
      await deployMigrations(t.orgDbUrl(server, template), { quiet: true });
      for (let i = server === 'a' ? 0 : 1; i < USED; i += 2) {
        await withClient(t.orgDbUrl(server, 'postgres'), (c) =>
          c.query(
            `CREATE DATABASE ${pg.escapeIdentifier(`${t.prefix}o${i}`)} TEMPLATE ${pg.escapeIdentifier(template)}`,
          ),
        );
      }
    }),
  );
  await deployMigrations(t.centralUrl, {
    quiet: true,
    target: CENTRAL_SCHEMA,
  });
  await withClient(t.centralUrl, (c) =>
    c.query(
      `INSERT INTO "Organization" (id, slug, name, "dbServer", "dbName", "updatedAt")
       SELECT 'o' || i, 'org-' || lpad(i::text, 4, '0'), 'Org ' || i,
              CASE WHEN i % 2 = 0 THEN NULL ELSE 'b' END, $1 || 'o' || i, now()
         FROM generate_series(0, $2 - 1) AS i`,
      [t.prefix, REGISTERED],
    ),
  );
}, 300_000);

describe(`${REGISTERED} organizations registered, requests spread over ${USED}`, { timeout: 240_000 }, () => {
  it(`never holds more than DB_MAX_CONNECTIONS_TOTAL=${CAP} connections, and each answer comes from its own organization`, async () => {
    let maxSeen = 0;
    let sampling = true;
    const sampler = t.watchConnections((n) => {
      maxSeen = Math.max(maxSeen, n);
      return sampling;
    });

    // Each organization gets a clinic of its own, through the system client.
    const orgs = Array.from({ length: USED }, (_, i) => i);
    await eachBounded(orgs, 24, (i) =>
      createSystemDb('seed', { org: slugOf(i) }).clinic.create({
        data: { name: `Clinic of ${slugOf(i)}`, code: slugOf(i) },
      }),
    );
    // Then sessions, in random order: every pool opens, closes and reopens under the cap.
    const requests = Array.from({ length: USED }, (_, n) => (n * 7919) % USED);
    const answers = await eachBounded(requests, 32, async (i) => {
      const rows = await createDb({ id: 'admin', role: 'ADMIN', orgSlug: slugOf(i) }).clinic.findMany({
        select: { code: true },
      });
      return { i, codes: rows.map((r) => r.code) };
    });
    sampling = false;
    await sampler;

    expect(answers.filter((a) => a.codes.length !== 1 || a.codes[0] !== slugOf(a.i))).toEqual([]);
    const stats = orgPoolStats();
    expect(stats?.peak).toBe(CAP); // the cap was reached ...
    expect(stats?.open).toBeLessThanOrEqual(CAP);
    expect(stats?.reclaimed).toBeGreaterThan(USED / 2); // ... and idle connections were handed on, again and again
    expect(maxSeen).toBeGreaterThan(0);
    expect(maxSeen).toBeLessThanOrEqual(CAP); // what the servers saw (pg_stat_activity on both)
    // Per-organization stats add up to what is open.
    const perOrg = stats?.organizations.reduce((n, o) => n + o.total, 0) ?? 0;
    expect(perOrg + (stats?.central.total ?? 0)).toBe(stats?.open);
  }, 240_000);
});
