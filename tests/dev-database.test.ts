/**
 * The embedded development database's lifecycle, in scratch copies of the repo (each with its own .data/):
 * whoever starts it owns it, a crashed owner does not orphan it, a leftover is adopted or stopped by hand,
 * and a clone that the postgres OS user cannot reach still works.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { isAlive } from '../tooling/postgres/process.ts';
import { runNode } from '../tooling/tool-env.ts';
import { withRepoCopy } from './support/repo-copy.ts';
import { runDbScript } from './support/run-db-script.ts';

// Each test runs CLI commands (Prisma, ZenStack, PostgreSQL start-up): slow on a busy 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

const withoutDatabaseUrl = () => {
  const { DATABASE_URL: _, APP_DATABASE_URL: __, ...env } = process.env;
  return env;
};

/** `pnpm db:dev` in `copy`, resolved once it is up; `out()` is everything it printed so far. */
async function startDevDb(copy: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev-db.ts', 'start'], {
    cwd: copy,
    env: withoutDatabaseUrl(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const s of [child.stdout, child.stderr]) s.on('data', (d) => (output += d));
  await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toContain('Ctrl-C stops it');
  return { child, out: () => output };
}

const postmaster = (copy: string) => {
  const file = path.join(copy, '.data/dev-postgres/postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
};
const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (code) => resolve(code)),
  );

describe('the development database', () => {
  it('stops by itself when its owner is killed with SIGKILL', async () => {
    await withRepoCopy(async (copy) => {
      const { child } = await startDevDb(copy);
      const pid = postmaster(copy) as number;
      expect(isAlive(pid)).toBe(true);
      child.kill('SIGKILL');
      await expect.poll(() => isAlive(pid), { timeout: 15_000, interval: 100 }).toBe(false);
    });
  });

  it('is shared while its owner runs, adopted when the owner is gone, and stopped by db:dev:stop', async () => {
    await withRepoCopy(async (copy) => {
      const { child } = await startDevDb(copy);
      const pid = postmaster(copy) as number;
      const shared = await runDbScript(['deploy'], '', copy, { APP_DATABASE_URL: '' });
      expect(shared.code, shared.output).toBe(0);
      expect(shared.output).toContain('using the development database started by `pnpm db:dev`');
      expect(isAlive(pid)).toBe(true); // a sharer leaves it running

      // An owner that died without its watchdog (say, an older checkout's server): the next command adopts it.
      execFileSync('pkill', ['-KILL', '-f', `postgres/watchdog.ts ${child.pid} `]);
      child.kill('SIGKILL');
      await exited(child);
      expect(isAlive(pid)).toBe(true);
      const adopted = await runDbScript(['status'], '', copy, { APP_DATABASE_URL: '' });
      expect(adopted.code, adopted.output).toBe(0);
      expect(adopted.output).toContain('adopting the development database left running');
      expect(isAlive(pid)).toBe(false);

      const again = await startDevDb(copy);
      const env = await runNode(['--import', 'tsx', 'scripts/dev-db.ts', 'env'], { cwd: copy, quiet: true });
      expect(env.code).toBe(0);
      const envFile = path.join(copy, '.data/dev.env');
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      const password = /DATABASE_URL=postgresql:\/\/postgres:([^@]+)@/.exec(readFileSync(envFile, 'utf8'))?.[1];
      expect(password?.length).toBeGreaterThan(8);
      expect(env.stdout + again.out()).not.toContain(password);
      // Your own script reaches it through the env file, under row-level security as acme_app.
      const script = `import pg from 'pg'; const c = new pg.Client(process.env.APP_DATABASE_URL); await c.connect();
        console.log((await c.query('select current_user as u')).rows[0].u); await c.end();`;
      // (--env-file never overrides a variable already set, so the test's own URLs are removed first.)
      const own = execFileSync(process.execPath, ['--env-file=.data/dev.env', '--input-type=module', '-e', script], {
        cwd: copy,
        env: withoutDatabaseUrl(),
        encoding: 'utf8',
      });
      expect(own.trim()).toBe('acme_app');

      const stop = await runNode(['--import', 'tsx', 'scripts/dev-db.ts', 'stop'], { cwd: copy, quiet: true });
      expect(stop.stdout).toContain('Stopped the development database. `pnpm db:dev`');
      expect(postmaster(copy) === undefined || !isAlive(postmaster(copy) as number)).toBe(true);
      again.child.kill('SIGINT');
      expect(await exited(again.child)).toBe(0);
    });
  });

  it('works in a clone the postgres OS user cannot reach (root under a private directory)', async () => {
    if (process.getuid?.() !== 0) return; // only root runs the server as another OS user
    await withRepoCopy(
      async (copy) => {
        const res = await runDbScript(['deploy'], '', copy, { APP_DATABASE_URL: '' });
        expect(res.code, res.output).toBe(0);
        const dataDir = /its data lives in (\S+): the postgres OS user cannot reach/.exec(res.output)?.[1];
        expect(dataDir).toMatch(/^\/var\/tmp\/acme-db-dev-[0-9a-f]{12}\/dev-postgres$/);
        execFileSync('rm', ['-rf', path.dirname(dataDir as string)]);
      },
      { privateParent: true },
    );
  });
});

describe('pnpm demo', () => {
  it('refuses a port in use before touching the database, and says how to pick another', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const res = await runNode(['--import', 'tsx', 'packages/demo/src/demo.ts'], {
        env: { PORT: String(port) },
        quiet: true,
      });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(res.stderr).toContain(`PORT=${port + 1} pnpm demo`);
      expect(res.stdout).not.toContain('migrations applied');
    } finally {
      blocker.close();
    }
  });
});
