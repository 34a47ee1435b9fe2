import type { TestProject } from 'vitest/node';
import { startTestServer } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the server test databases are created on. */
    testServerUrl: string;
  }
}

/** Starts one PostgreSQL server for the whole run; each file gets its own database on it. */
export default async function setup(project: TestProject) {
  const server = await startTestServer((line) => console.log(`[tests] ${line}`));
  project.provide('testServerUrl', server.url);
  return () => server.stop();
}
