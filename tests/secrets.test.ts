/** The connection string's password never shows up in an error, a log line or command output. */
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { readDbConfig } from '../src/config.ts';
import { closeDb, createDb, createSystemDb } from '../src/index.ts';
import { openPool } from '../src/pool.ts';
import { runDbScript } from './support/run-db-script.ts';

const PASSWORD = 'Recognisable-Pa55word-7f3a';
const server = new URL(inject('testServerUrl'));
const wrongPassword = `postgresql://${server.username}:${PASSWORD}@${server.host}/postgres`;
const closedPort = `postgresql://acme:${PASSWORD}@127.0.0.1:1/acme`;

async function failure(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return [
      e.message,
      e.stack,
      e.cause?.message,
      e.cause?.stack,
      JSON.stringify(e, Object.getOwnPropertyNames(e)),
    ].join('\n');
  }
  throw new Error('expected a failure');
}

const saved = { owner: process.env.DATABASE_URL, app: process.env.APP_DATABASE_URL };
afterEach(async () => {
  await closeDb();
  process.env.DATABASE_URL = saved.owner;
  process.env.APP_DATABASE_URL = saved.app;
  vi.restoreAllMocks();
});

describe('secrets', () => {
  it.each([
    ['a wrong password', wrongPassword],
    ['a closed port', closedPort],
  ])('createDb and createSystemDb queries failing on %s do not reveal the password', async (_, url) => {
    await closeDb();
    process.env.DATABASE_URL = url;
    process.env.APP_DATABASE_URL = url;
    for (const db of [createDb({ id: 'u', role: 'ADMIN' }), createSystemDb('secrets-test')]) {
      const text = await failure(() => db.clinic.count());
      expect(text.length).toBeGreaterThan(20);
      expect(text).not.toContain(PASSWORD);
    }
  });

  it('pool error logs do not reveal the password', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args) => void lines.push(args.join(' ')));
    const pool = openPool(readDbConfig({ DATABASE_URL: closedPort }));
    pool.emit('error', new Error(`lost connection to ${closedPort} (password ${PASSWORD})`));
    await pool.end();
    expect(lines.join('\n')).toContain('idle connection failed');
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('db:* commands that cannot connect do not print the password', async () => {
    const res = await runDbScript(['deploy'], closedPort);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain(':***@');
    expect(res.output).not.toContain(PASSWORD);
  });
});
