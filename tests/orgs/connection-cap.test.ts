import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createSystemDb, OrgRoutingError, orgPoolStats } from '../../src/index.ts';
import { withClient } from '../../tooling/database.ts';
import { deployMigrations } from '../../tooling/migrate/migrate.ts';
import { CENTRAL_SCHEMA } from '../../tooling/migrate/schema-targets.ts';
import { eachBounded } from '../../tooling/orgs/each-bounded.ts';
import { type TwoServers, twoServers } from './two-servers.ts';

const CAP = 12;
const REGISTERED = 1_000;
const USED = 200;
let t: TwoServers;

const slugOf = (i: number) => `org-${String(i).padStart(4, '0')}`;

afterAll(() => t?.close(), 300_000);
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

  it('one set of clients serves every organization: transactions land in their own database, clients are per session', async () => {
    const picks = [0, 1, 2, 3, 57, 198, 199];
    // The system client sends BEGIN before any operation (no lazy BEGIN): its organization comes from the guard's scope.
    await Promise.all(
      picks.map((i) =>
        createSystemDb('tx', { org: slugOf(i) }).$transaction(async (tx) => {
          await tx.clinic.create({ data: { name: `tx of ${slugOf(i)}`, code: `tx-${slugOf(i)}` } });
        }),
      ),
    );
    await Promise.all(
      picks.map((i) => {
        const db = createSystemDb('seq', { org: slugOf(i) });
        return db.$transaction([db.clinic.create({ data: { name: `seq of ${slugOf(i)}`, code: `seq-${slugOf(i)}` } })]);
      }),
    );
    // Sessions, both BEGINs: the plain path's (sent first) and the fast path's (deferred to the first statement).
    const read = await Promise.all(
      picks.flatMap((i) =>
        [false, true].map(async (fastPaths) => {
          const db = createDb({ id: 'admin', role: 'ADMIN', orgSlug: slugOf(i) }, { fastPaths });
          const rows = await db.$transaction(async (tx) =>
            tx.clinic.findMany({ select: { code: true }, orderBy: { code: 'asc' } }),
          );
          return { i, codes: rows.map((r) => r.code) };
        }),
      ),
    );
    for (const { i, codes } of read) expect(codes).toEqual([slugOf(i), `seq-${slugOf(i)}`, `tx-${slugOf(i)}`]);
    // Read back past the package: each database holds its own two rows and no other organization's.
    for (const i of picks) {
      const url = t.orgDbUrl(i % 2 === 0 ? 'a' : 'b', `${t.prefix}o${i}`);
      const { rows } = await withClient(url, (c) =>
        c.query(`SELECT code FROM "Clinic" WHERE code LIKE 'tx-%' OR code LIKE 'seq-%' ORDER BY code`),
      );
      expect(rows.map((r) => r.code)).toEqual([`seq-${slugOf(i)}`, `tx-${slugOf(i)}`]);
    }
    // One bound client per session and organization: the same id in two organizations is two clients.
    const session = (i: number) => ({ id: 'admin', role: 'ADMIN' as const, orgSlug: slugOf(i) });
    expect(createDb(session(0))).toBe(createDb(session(0)));
    expect(createDb(session(0))).not.toBe(createDb(session(1)));
    // Anonymous clients carry no organization, so organization mode has none.
    expect(() => createDb(null, { org: slugOf(0) })).toThrow(OrgRoutingError);
    expect(orgPoolStats()?.open).toBeLessThanOrEqual(CAP);
  }, 240_000);
});
