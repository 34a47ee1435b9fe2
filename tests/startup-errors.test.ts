/**
 * A bad setting stops `pnpm demo`, `pnpm studio` and the db:* commands with one line naming it (never its
 * value), before anything is started, migrated or seeded: no stack trace, no refusal after minutes of work.
 */
import { describe, expect, it } from 'vitest';
import { DbConfigError } from '../src/config.ts';
import { readOrgConfig } from '../src/orgs/config.ts';
import { withClient, withDatabase } from '../tooling/database.ts';
import { runNode } from '../tooling/tool-env.ts';
import { runDbScript } from './support/run-db-script.ts';

const ENTRY = { demo: 'packages/demo/src/demo.ts', studio: 'packages/studio/src/main.ts' } as const;

async function start(entry: keyof typeof ENTRY, env: Record<string, string>) {
  const res = await runNode(['--import', 'tsx', ENTRY[entry]], { env: { PORT: '0', ...env }, quiet: true });
  return { code: res.code, output: (res.stdout + res.stderr).trim() };
}

/** One line, and nothing of a stack trace (frames, the `throw` line, Node's version banner). */
function expectOneCleanLine(output: string, message: RegExp) {
  expect(output.split('\n'), output).toHaveLength(1);
  expect(output).toMatch(message);
  expect(output).not.toMatch(/^\s+at |throw new|Node\.js v\d/m);
}

const MALFORMED = 'postgresql://user:s3cret-pw@[not-a-host/acme';

describe('startup errors', () => {
  it.each(['demo', 'studio'] as const)('%s: a malformed DATABASE_URL is one line and exit 64', async (entry) => {
    const { code, output } = await start(entry, { DATABASE_URL: MALFORMED });
    expect(code).toBe(64);
    expectOneCleanLine(output, new RegExp(`^\\[${entry}\\] DATABASE_URL is not a valid URL`));
    expect(output).not.toContain('s3cret-pw');
  });

  it('db:status says the same in one line', async () => {
    const { code, output } = await runDbScript(['status'], MALFORMED);
    expect(code).not.toBe(0);
    expectOneCleanLine(output.trim(), /DATABASE_URL is not a valid URL/);
  });

  it('demo: a short AUTH_SECRET, a bad pool size are refused before the migrations run', async () => {
    const secret = await start('demo', { AUTH_SECRET: 'too-short' });
    expect(secret.code).toBe(64);
    expectOneCleanLine(secret.output, /^\[demo\] AUTH_SECRET must be at least 32 bytes \(got 9\)\.$/);
    const pool = await start('demo', { DB_POOL_MAX: 'ten', AUTH_SECRET: 'x'.repeat(40) });
    expect(pool.code).toBe(64);
    expectOneCleanLine(pool.output, /^\[demo\] DB_POOL_MAX must be an integer >= 1, got "ten"$/);
  });

  it('demo: organization mode without APP_DATABASE_URL is refused at startup, creating nothing', async () => {
    const url = process.env.DATABASE_URL as string;
    const centralExists = () =>
      withClient(withDatabase(url, 'postgres'), async (c) => {
        const { rowCount } = await c.query(`SELECT 1 FROM pg_database WHERE datname = 'acme_central'`);
        return rowCount === 1;
      });
    expect(await centralExists()).toBe(false);
    const { code, output } = await start('demo', { DEMO_ORGS: 'acme', APP_DATABASE_URL: '' });
    expect(code).toBe(64);
    expectOneCleanLine(
      output,
      /^\[demo\] Organization mode \(CENTRAL_DATABASE_URL\) needs APP_DATABASE_URL: its user and password are the login sessions use in every organization database/,
    );
    expect(await centralExists()).toBe(false);
  });

  it('the library refuses organization mode without APP_DATABASE_URL, naming it', () => {
    const env = { CENTRAL_DATABASE_URL: 'postgresql://owner:pw@localhost/central' };
    expect(() => readOrgConfig(env)).toThrow(DbConfigError);
    expect(() => readOrgConfig(env)).toThrow(/needs APP_DATABASE_URL/);
    const app = { ...env, APP_DATABASE_URL: 'postgresql://acme_app:pw@localhost/central' };
    expect(readOrgConfig(app).appLogin).toEqual({ user: 'acme_app', password: 'pw' });
  });
});
