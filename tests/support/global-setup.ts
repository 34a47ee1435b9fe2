import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { APP_ROLE } from '../../src/rls/names.ts';
import { ensureAppLogin } from '../../tooling/rls/app-role.ts';
import { startTestServer } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the server test databases are created on. */
    testServerUrl: string;
    /** Password of the acme_app login every test file's sessions connect as (row-level security on). */
    appRolePassword: string;
  }
}

/** Starts one PostgreSQL server for the whole run; each file gets its own database on it. */
export default async function setup(project: TestProject) {
  const server = await startTestServer((line) => console.log(`[tests] ${line}`));
  project.provide('testServerUrl', server.url);
  // TEST_APP_PASSWORD lets CI put the same password into PgBouncer's auth file.
  const password = process.env.TEST_APP_PASSWORD || randomBytes(12).toString('hex');
  await ensureAppLogin(server.url, { user: APP_ROLE, password });
  project.provide('appRolePassword', password);
  return () => server.stop();
}
