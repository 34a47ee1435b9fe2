import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/index.ts';
import { withClient } from '../../tooling/database.ts';
import { MAIN_SCHEMA } from '../../tooling/migrate/schema-targets.ts';
import { migrationState } from '../../tooling/orgs/migrations.ts';
import { ROOT } from '../../tooling/tool-env.ts';
import { type TwoServers, twoServers } from './two-servers.ts';

let t: TwoServers;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => t?.close(), 300_000);
beforeAll(async () => {
  t = await twoServers();
}, 300_000);

/** What a server shows of the database being built: nothing, the empty database, or Prisma's history in it. */
async function progress(dbName: string): Promise<'none' | 'database' | 'migrating'> {
  const exists = await withClient(t.serverB.url, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    return rowCount === 1;
  });
  if (!exists) return 'none';
  const history = await withClient(t.orgDbUrl('b', dbName), async (c) => {
    const { rows } = await c.query(`SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS ok`);
    return rows[0].ok as boolean;
  }).catch(() => false);
  return history ? 'migrating' : 'database';
}

const registered = (slug: string) =>
  withClient(
    t.centralUrl,
    async (c) => (await c.query('SELECT status FROM "Organization" WHERE slug = $1', [slug])).rows,
  );

describe('db:org:create killed midway', { timeout: 240_000 }, () => {
  for (const stage of ['database', 'migrating'] as const) {
    it(`leaves nothing registered when killed (${stage}), and a retry completes it`, async () => {
      const slug = `killed-${stage}`;
      const dbName = `${t.prefix}${slug}`;
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/db.ts', 'org:create', slug, '--server', 'b'], {
        cwd: ROOT,
        env: { ...process.env, ...t.env, DO_NOT_TRACK: '1' },
        detached: true,
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let seen: string = 'none';
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && child.exitCode === null) {
        seen = await progress(dbName);
        if (seen === stage || (stage === 'database' && seen === 'migrating')) break;
        await sleep(15);
      }
      process.kill(-(child.pid as number), 'SIGKILL'); // the command and the Prisma process it started
      await exited;
      expect(seen).not.toBe('none');
      expect(await registered(slug)).toEqual([]);

      const retry = await t.db(['org:create', slug, '--server', 'b']);
      expect(retry.code, retry.output).toBe(0);
      expect(retry.output).toContain(`${slug}: registered (active)`);
      expect(await registered(slug)).toEqual([{ status: 'active' }]);
      const state = await migrationState(t.orgDbUrl('b', dbName), MAIN_SCHEMA);
      expect(state.pending).toEqual([]);
      expect(state.failed).toEqual([]);
      expect(await createDb({ id: 'a', role: 'ADMIN', orgSlug: slug }).clinic.count()).toBe(0);
    }, 240_000);
  }
});
