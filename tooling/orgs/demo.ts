import { readOrgConfig } from '@acme/db/orgs';
import { withDatabase } from '../database.ts';
import { DEV_CENTRAL_DATABASE } from '../postgres/dev-database.ts';
import { DEMO_STAFF, seedDatabase } from '../seed/data.ts';
import { createOrganization } from './provision.ts';
import { openCentral, orgCredentials } from './registry.ts';

/**
 * `DEMO_ORGS=acme,globex pnpm demo`: organization mode on the development
 * server. A central database `acme_central` next to the demo's, one database
 * per organization (`clinic_<slug>`, through db:org:create's own steps), the
 * demo staff as members of each (same roles), and the seed in every one.
 * Returns the slugs; sessions name one of them.
 */
export async function setUpDemoOrganizations(
  url: string,
  list: string,
  log: (line: string) => void,
): Promise<string[]> {
  const slugs = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const centralUrl = withDatabase(url, DEV_CENTRAL_DATABASE); // created by db:org:create's first step
  process.env.CENTRAL_DATABASE_URL = centralUrl; // from here on, createDb routes by organization
  const config = readOrgConfig();
  const central = openCentral(config);
  try {
    for (const slug of slugs) {
      const { record } = await createOrganization(config, central, { slug, name: `${slug} (demo)` });
      const staff = [
        [DEMO_STAFF.user, 'USER'],
        [DEMO_STAFF.support, 'SUPPORT'],
        [DEMO_STAFF.admin, 'ADMIN'],
      ] as const;
      for (const [userId, role] of staff) {
        await central.db.organizationMember.upsert({
          where: { organizationId_userId: { organizationId: record.id, userId } },
          create: { organizationId: record.id, userId, role },
          update: { role },
        });
      }
      const { ownerUrl } = await orgCredentials(config, record);
      const seeded = await seedDatabase(ownerUrl, { org: slug });
      log(`organization ${slug}: database ${record.dbName}, ${seeded.created} seed rows inserted`);
    }
  } finally {
    await central.close();
  }
  return slugs;
}
