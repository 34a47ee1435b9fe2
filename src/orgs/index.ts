// What tooling and bench may use of organization mode (`@acme/db/orgs`); apps use `@acme/db`.
export { type OrgConfig, readOrgConfig } from './config.ts';
export { defaultCredentialsResolver, newDatabaseName, type OrgCredentials } from './credentials.ts';
export type { CentralClient, OrgRecord } from './directory.ts';
export { organizationsChanged } from './mode.ts';
export { OrgRouter } from './router.ts';
