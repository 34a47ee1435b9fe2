import { afterAll, inject } from 'vitest';
import { createScratchDatabase, dropDatabase } from '../../tooling/database.ts';

/**
 * For tests that need empty databases of their own (migration workflows):
 * returns a function that creates one on the test server; all of them are
 * dropped after the file.
 */
export function scratchDatabases(prefix: string): () => Promise<string> {
  const created: string[] = [];
  afterAll(async () => {
    for (const url of created) await dropDatabase(url);
  });
  return async () => {
    const url = await createScratchDatabase(inject('testServerUrl'), prefix);
    created.push(url);
    return url;
  };
}
