/**
 * `pnpm demo --standby` and `pnpm db:dev --standby` from an empty data directory (a scratch copy of the repo
 * with no .data/): a real streaming standby of the development database is made by a live base backup, the
 * demo's reads are answered by it (the server says so itself), writes go to the primary and reach it, it is
 * kept between runs (the next start resumes it from its slot), `pnpm db:env` names it and the central
 * database without a password, and `pnpm db:dev:stop` stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { withClient } from '../tooling/database.ts';
import { isAlive } from '../tooling/postgres/process.ts';
import { runNode } from '../tooling/tool-env.ts';
import { withRepoCopy } from './support/repo-copy.ts';

// An embedded PostgreSQL and its standby from scratch, migrations and seed: slow on a busy 2-core machine.
vi.setConfig({ testTimeout: 300_000 });

function bareEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(DATABASE_URL|APP_DATABASE_URL|CENTRAL_DATABASE_URL|ORG_.*|DATABASE_REPLICA_URLS)$/.test(k),
    ),
  );
}

/** A long-running entry point in `copy`; `out()` is everything it printed so far. */
function launch(copy: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: copy,
    env: { ...bareEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const s of [child.stdout, child.stderr]) s.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const until = (pattern: RegExp) =>
    expect
      .poll(() => (child.exitCode !== null ? `exited ${child.exitCode}: ${output}` : output), {
        timeout: 240_000,
        interval: 250,
      })
      .toMatch(new RegExp(`${pattern.source}|exited`));
  return { child, out: () => output, exited, until };
}

const stop = async (p: { child: ChildProcess; exited: Promise<number | null> }) => {
  if (p.child.exitCode === null) p.child.kill('SIGINT');
  return p.exited;
};

describe('the development standby', () => {
  it('serves the demo its reads from an empty .data/, is kept between runs, and stops with db:dev:stop', async () => {
    await withRepoCopy(async (copy) => {
      const data = path.join(copy, '.data');
      expect(existsSync(data)).toBe(false);
      const demo = launch(copy, ['packages/demo/src/demo.ts', '--standby'], {
        PORT: '0',
        AUTH_SECRET: 'dev-standby-test-secret-that-is-long-enough',
        NODE_DEBUG: 'acme-db-replicas',
      });
      try {
        await demo.until(/Listening on http:\/\/127\.0\.0\.1:\d+/);
        expect(demo.out()).not.toContain('[demo] failed');
        expect(demo.out()).toContain('(a new live base backup)');
        const { port, password } = JSON.parse(readFileSync(path.join(data, 'dev-postgres.json'), 'utf8'));
        const standbyPort = JSON.parse(readFileSync(path.join(data, 'dev-standby.json'), 'utf8')).port as number;
        expect(standbyPort).not.toBe(port);
        // The demo's own read, answered by the standby, which said so itself.
        expect(demo.out()).toContain(
          `a read was answered by standby 127.0.0.1:${standbyPort} (pg_is_in_recovery() on it: true)`,
        );
        const on = (p: number) => `postgresql://postgres:${password}@127.0.0.1:${p}/acme`;
        const query = (p: number, sql: string, params: unknown[] = []) =>
          withClient(on(p), async (c) => (await c.query(sql, params)).rows);
        expect(await query(standbyPort, 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: true }]);
        expect(await query(port, 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: false }]);

        const base = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(demo.out())?.[1] as string;
        const token = (role: string) => new RegExp(`^  ${role} +(\\S+)$`, 'm').exec(demo.out())?.[1] as string;
        // A session's read through the API: the router reports the standby answered it.
        const mark = demo.out().length;
        const read = await fetch(`${base}/clinic.list`, { headers: { authorization: `Bearer ${token('USER')}` } });
        expect(read.status).toBe(200);
        await expect
          .poll(() => demo.out().slice(mark), { timeout: 10_000 })
          .toMatch(new RegExp(`read replica on 127\\.0\\.0\\.1:${standbyPort} \\(replica\\)`));

        // A write goes to the primary, and reaches the standby by streaming.
        const code = `STBY${process.pid}`;
        const created = await fetch(`${base}/clinic.create`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token('ADMIN')}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Written on the primary', code }),
        });
        expect(created.status).toBe(200);
        const count = 'SELECT count(*)::int AS n FROM "Clinic" WHERE code = $1';
        expect(await query(port, count, [code])).toEqual([{ n: 1 }]);
        await expect.poll(() => query(standbyPort, count, [code]), { timeout: 20_000 }).toEqual([{ n: 1 }]);

        // db:env names the standby and the central database; the password stays in the files.
        const env = await runNode(['--import', 'tsx', 'scripts/dev-db.ts', 'env'], { cwd: copy, quiet: true });
        expect(env.code, env.stderr).toBe(0);
        expect(env.stdout).toContain(`CENTRAL_DATABASE_URL=postgresql://postgres:***@127.0.0.1:${port}/acme_central`);
        expect(env.stdout + env.stderr).not.toContain(password);
        const devEnv = readFileSync(path.join(data, 'dev.env'), 'utf8');
        expect(devEnv).toContain(`DATABASE_REPLICA_URLS=postgresql://127.0.0.1:${standbyPort}\n`);
        expect(devEnv).not.toContain('CENTRAL_DATABASE_URL'); // dev.env stays single-database
        const orgsEnv = readFileSync(path.join(data, 'dev-orgs.env'), 'utf8');
        expect(orgsEnv).toContain(
          `CENTRAL_DATABASE_URL=postgresql://postgres:${password}@127.0.0.1:${port}/acme_central`,
        );
        expect(statSync(path.join(data, 'dev-orgs.env')).mode & 0o777).toBe(0o600);

        // db:dev:stop stops both servers, whoever started them.
        const pids = ['dev-postgres', 'dev-standby'].map((dir) =>
          Number(readFileSync(path.join(data, dir, 'postmaster.pid'), 'utf8').split('\n')[0]),
        );
        const stopped = await runNode(['--import', 'tsx', 'scripts/dev-db.ts', 'stop'], { cwd: copy, quiet: true });
        expect(stopped.stdout).toContain('Stopped the development standby. `pnpm demo --standby`');
        expect(stopped.stdout).toContain('Stopped the development database.');
        for (const pid of pids) expect(isAlive(pid)).toBe(false);

        // The next run resumes the same standby from its slot: the data written before is there, and it streams.
        const dev = launch(copy, ['scripts/dev-db.ts', 'start', '--standby']);
        try {
          await dev.until(/Ctrl-C stops it/);
          expect(dev.out()).toContain(`on 127.0.0.1:${standbyPort} (resumed from its slot)`);
          expect(await query(standbyPort, count, [code])).toEqual([{ n: 1 }]);
          await query(port, `UPDATE "Clinic" SET name = 'Renamed on the primary' WHERE code = $1`, [code]);
          const name = 'SELECT name FROM "Clinic" WHERE code = $1';
          await expect
            .poll(() => query(standbyPort, name, [code]), { timeout: 20_000 })
            .toEqual([{ name: 'Renamed on the primary' }]);
          const running = Number(readFileSync(path.join(data, 'dev-standby', 'postmaster.pid'), 'utf8').split('\n')[0]);
          expect(await stop(dev)).toBe(0);
          expect(isAlive(running)).toBe(false); // its owner stopped it
        } finally {
          await stop(dev);
        }
      } finally {
        await stop(demo);
      }
    });
  });
});
