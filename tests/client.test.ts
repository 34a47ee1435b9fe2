/** createDb / closeDb / config as an application uses them. */
import type { SessionInput } from '@acme/auth';
import { describe, expect, it } from 'vitest';
import {
  closeDb,
  createDb,
  DbConfigError,
  InvalidSessionError,
  poolStats,
  readDbConfig,
  redactUrl,
} from '../src/index.ts';
import { scrubSecret } from '../src/pool.ts';

describe('readDbConfig', () => {
  it('explains a missing DATABASE_URL instead of failing to connect', () => {
    expect(() => readDbConfig({})).toThrow(DbConfigError);
    expect(() => readDbConfig({})).toThrow(/DATABASE_URL is not set/);
  });

  it('rejects a non-PostgreSQL URL and a malformed one without echoing it', () => {
    expect(() => readDbConfig({ DATABASE_URL: 'mysql://u:p@h/db' })).toThrow(/postgresql:\/\//);
    const bad = 'postgresql://user:hunter2@[bad';
    expect(() => readDbConfig({ DATABASE_URL: bad })).toThrow(DbConfigError);
    try {
      readDbConfig({ DATABASE_URL: bad });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('validates numeric settings', () => {
    const base = { DATABASE_URL: 'postgresql://u:p@localhost/db' };
    expect(readDbConfig(base)).toMatchObject({
      poolMax: 10,
      connectionTimeoutMillis: 5000,
      statementTimeoutMillis: 30000,
    });
    expect(readDbConfig({ ...base, DB_POOL_MAX: '3' }).poolMax).toBe(3);
    expect(() => readDbConfig({ ...base, DB_POOL_MAX: 'ten' })).toThrow(/DB_POOL_MAX/);
    expect(() => readDbConfig({ ...base, DB_POOL_MAX: '0' })).toThrow(/DB_POOL_MAX/);
  });
});

describe('secrets', () => {
  it('redacts the password in URLs and in driver errors', () => {
    const url = 'postgresql://app:S3cr3t-Pw@db.internal:5432/acme?sslpassword=xyz';
    expect(redactUrl(url)).toBe('postgresql://app:***@db.internal:5432/acme?sslpassword=***');
    const err = scrubSecret(new Error(`could not connect to ${url} (password S3cr3t-Pw)`), url);
    expect(err.message).not.toContain('S3cr3t-Pw');
    expect(err.stack).not.toContain('S3cr3t-Pw');
  });
});

describe('createDb', () => {
  it('rejects an invalid session payload instead of treating it as a user', () => {
    expect(() => createDb({ id: 'u1', role: 'ROOT' } as never)).toThrow(InvalidSessionError);
    expect(() => createDb({ id: '', role: 'ADMIN' })).toThrow(InvalidSessionError);
    expect(() => createDb({ role: 'ADMIN' } as never)).toThrow(InvalidSessionError);
    expect(() => createDb({ id: 'u1', role: 'ADMIN', extra: true } as never)).toThrow(InvalidSessionError);
  });

  it('shares one pool across sessions, and closeDb lets a later createDb reconnect', async () => {
    await createDb({ id: 'a', role: 'USER' }).clinic.count();
    await createDb({ id: 'b', role: 'ADMIN' }).clinic.count();
    expect(poolStats()?.total).toBeGreaterThanOrEqual(1);
    expect(poolStats()?.total).toBeLessThanOrEqual(2);
    await closeDb();
    expect(poolStats()).toBeNull();
    expect(await createDb({ id: 'c', role: 'USER' }).clinic.count()).toBe(0);
  });

  it('reuses the bound client for a repeated session, and only for the same id and role', async () => {
    const a = createDb({ id: 'same', role: 'USER' });
    expect(createDb({ id: 'same', role: 'USER' })).toBe(a);
    expect(createDb({ id: 'same', role: 'ADMIN' })).not.toBe(a);
    expect(createDb({ id: 'other', role: 'USER' })).not.toBe(a);
    expect(createDb(null)).not.toBe(a);
    await closeDb();
    expect(createDb({ id: 'same', role: 'USER' })).not.toBe(a);
  });

  it('keys bound clients by the whole validated session: crafted membership ids never share a client', () => {
    // Joined with \u0001/\u0002 unescaped (the old key), these two sessions gave the same text.
    const a: SessionInput = {
      id: 'u',
      role: 'USER',
      memberships: [{ clinicId: 'x\u0001STAFF\u0002y', role: 'VIEWER' }],
    };
    const b: SessionInput = {
      id: 'u',
      role: 'USER',
      memberships: [
        { clinicId: 'x', role: 'STAFF' },
        { clinicId: 'y', role: 'VIEWER' },
      ],
    };
    const dbA = createDb(a);
    const dbB = createDb(b);
    expect(dbB).not.toBe(dbA);
    expect((dbA.$auth as { memberships: unknown }).memberships).toEqual(a.memberships);
    expect((dbB.$auth as { memberships: unknown }).memberships).toEqual(b.memberships);
    expect(createDb(a)).toBe(dbA);
  });

  it('binds each session separately: one does not leak into another', async () => {
    const admin = createDb({ id: 'admin', role: 'ADMIN' });
    const user = createDb({ id: 'user', role: 'USER' });
    const code = `ISO-${Date.now()}`;
    await admin.clinic.create({ data: { name: 'Isolation', code } });
    await expect(user.clinic.create({ data: { name: 'Nope', code: `${code}-2` } })).toBeRejectedByPolicy();
    expect(await createDb(null).clinic.count()).toBe(0);
    expect(await user.clinic.count({ where: { code } })).toBe(1);
  });
});
