/**
 * `DEMO_ORGS=acme,globex pnpm demo` on its first run, from an empty data directory (a scratch copy of the
 * repo with no .data/): both organizations are created, seeded and served. It failed with `Organization
 * "globex" not found` once acme was seeded, because the process's organization list (read while seeding
 * acme) still said globex did not exist; db:org:create's steps now tell the router (src/orgs/mode.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { withRepoCopy } from './support/repo-copy.ts';

// An embedded PostgreSQL from scratch, the central database and two organization databases migrated and seeded.
vi.setConfig({ testTimeout: 240_000 });

/** The test process's environment without any database setting: the demo must find its own. */
function bareEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(DATABASE_URL|APP_DATABASE_URL|CENTRAL_DATABASE_URL|ORG_.*|DATABASE_REPLICA_URLS)$/.test(k),
    ),
  );
}

describe('pnpm demo with two organizations', () => {
  it('comes up on its first run from an empty .data/, each organization seeded and kept apart', async () => {
    await withRepoCopy(
      async (copy) => {
        expect(existsSync(path.join(copy, '.data'))).toBe(false);
        expect(
          existsSync(path.join(copy, 'packages/demo/node_modules/@acme/db/tooling/postgres/dev-database.ts')),
        ).toBe(true);
        const child = spawn(process.execPath, ['--import', 'tsx', 'packages/demo/src/demo.ts'], {
          cwd: copy,
          env: {
            ...bareEnv(),
            DEMO_ORGS: 'acme,globex',
            PORT: '0',
            AUTH_SECRET: 'demo-orgs-test-secret-that-is-long-enough',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        for (const s of [child.stdout, child.stderr]) s.on('data', (d) => (out += d));
        let code: number | null | undefined;
        const exited = new Promise<number | null>((resolve) =>
          child.on('exit', (c) => {
            code = c;
            resolve(c);
          }),
        );
        try {
          await expect
            .poll(() => (code !== undefined ? `exited ${code}: ${out}` : out), { timeout: 200_000, interval: 250 })
            .toMatch(/Listening on http:\/\/127\.0\.0\.1:\d+|exited/);
          expect(out).not.toContain('[demo] failed');
          // A fresh start seeds both (a reused database would say 0 rows).
          expect(out).toMatch(/organization acme: database clinic_acme, [1-9]\d* seed rows inserted/);
          expect(out).toMatch(/organization globex: database clinic_globex, [1-9]\d* seed rows inserted/);
          const base = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] as string;
          const token = (label: string) => new RegExp(`^  ${label} +(\\S+)$`, 'm').exec(out)?.[1] as string;

          const code1 = `ACME${process.pid}`;
          const created = await fetch(`${base}/clinic.create`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token('acme ADMIN')}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'Only in Acme', code: code1 }),
          });
          expect(created.status).toBe(200);
          const list = async (org: string) => {
            const res = await fetch(`${base}/clinic.list?input=${encodeURIComponent('{"limit":100}')}`, {
              headers: { authorization: `Bearer ${token(`${org} ADMIN`)}` },
            });
            expect(res.status).toBe(200);
            const body = (await res.json()) as { result: { data: { items: { code: string }[] } } };
            return body.result.data.items.map((c) => c.code);
          };
          expect(await list('acme')).toContain(code1);
          const globex = await list('globex');
          expect(globex.length).toBeGreaterThan(0); // globex's own seed
          expect(globex).not.toContain(code1);
          // The demo's database is the copy's own, in its .data/.
          expect(existsSync(path.join(copy, '.data', 'dev-postgres.json'))).toBe(true);
        } finally {
          if (code === undefined) child.kill('SIGINT');
        }
        expect(await exited).toBe(0);
        expect(out).toContain('[demo] stopped');
      },
      { ownPackages: true },
    );
  });
});
