/**
 * bench:orgs's last part: the central database's queries at this size, with their plans (EXPLAIN ANALYZE).
 * The statements are what the package sends (routing's directory, db:org:list, a lookup by slug, loadSession's
 * membership check), with one member per user over the registered organizations.
 */
import { withClient } from '../tooling/database.ts';

const QUERIES: Array<[string, string, unknown[]]> = [
  [
    'directory (every ORG_DIRECTORY_TTL_MS)',
    'SELECT id, slug, name, status, "dbServer", "dbName" FROM "Organization"',
    [],
  ],
  [
    'db:org:list, db:status',
    'SELECT id, slug, name, status, "dbServer", "dbName" FROM "Organization" ORDER BY slug',
    [],
  ],
  ['one organization by slug', 'SELECT id, status FROM "Organization" WHERE slug = $1', ['org-4711']],
  [
    'loadSession: membership',
    'SELECT role FROM "OrganizationMember" WHERE "organizationId" = $1 AND "userId" = $2',
    ['o4711', 'user-4711'],
  ],
  ["a user's organizations", 'SELECT "organizationId" FROM "OrganizationMember" WHERE "userId" = $1', ['user-4711']],
];

export async function centralPlans(central: string, registered: number, users: number): Promise<void> {
  await withClient(central, async (c) => {
    await c.query(
      `INSERT INTO "OrganizationMember" (id, "organizationId", "userId", role)
       SELECT 'm' || u, 'o' || (u % $1), 'user-' || u, 'USER' FROM generate_series(0, $2 - 1) AS u`,
      [registered, users],
    );
    await c.query('ANALYZE "Organization"; ANALYZE "OrganizationMember"');
    console.log(`\nCentral database (${registered} organizations, ${users} members), EXPLAIN ANALYZE:`);
    for (const [what, sql, params] of QUERIES) {
      const { rows } = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF) ${sql}`, params);
      const plan = rows.map((r) => r['QUERY PLAN']);
      console.log(`  ${what}: ${plan.find((l) => l.startsWith('Execution Time'))}`);
      for (const line of plan.filter((l) => !/^(Planning|Execution) Time/.test(l))) console.log(`      ${line}`);
    }
  });
}
