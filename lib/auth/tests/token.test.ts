import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  CLOCK_SKEW_SECONDS,
  InvalidSessionError,
  parseSessionUser,
  signSessionToken,
  verifySessionToken,
} from '../src/index.ts';

const SECRET = 'test-secret-that-is-at-least-32-bytes-long';
const key = new TextEncoder().encode(SECRET);

describe('parseSessionUser', () => {
  it.each([
    [{ id: 'u1', role: 'ROOT' }],
    [{ role: 'ADMIN' }],
    [{ id: 42, role: 'ADMIN' }],
    [{ id: '  ', role: 'USER' }],
    [{ id: 'u1', role: 'admin' }],
    [null],
    ['ADMIN'],
  ])('rejects %j', (payload) => {
    expect(() => parseSessionUser(payload)).toThrow(InvalidSessionError);
  });
});

describe('session tokens', () => {
  it('round-trips a session identity; memberships never travel in the token', async () => {
    const token = await signSessionToken(
      { id: 'u1', role: 'SUPPORT', memberships: [{ clinicId: 'c1', role: 'STAFF' }] },
      SECRET,
    );
    await expect(verifySessionToken(token, SECRET)).resolves.toEqual({ id: 'u1', role: 'SUPPORT', memberships: [] });
  });

  it('refuses missing, malformed, expired, tampered and foreign-key tokens', async () => {
    const good = await signSessionToken({ id: 'u1', role: 'USER' }, SECRET);
    const [h, p, s] = good.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'ADMIN' }),
    );
    const cases: [string | undefined, string][] = [
      [undefined, 'missing'],
      ['not-a-jwt', 'malformed'],
      [await signSessionToken({ id: 'u1', role: 'USER' }, SECRET, -10), 'expired'],
      [`${h}.${forged.toString('base64url')}.${s}`, 'bad-signature'],
      [await signSessionToken({ id: 'u1', role: 'ADMIN' }, 'another-secret-also-at-least-32-bytes!!'), 'bad-signature'],
    ];
    for (const [token, problem] of cases) {
      await expect(verifySessionToken(token, SECRET)).rejects.toMatchObject({ problem });
    }
  });

  it('refuses an unsigned (alg: none) token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({ sub: 'u1', role: 'ADMIN', iss: 'acme-crm', exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url');
    await expect(verifySessionToken(`${header}.${body}.`, SECRET)).rejects.toMatchObject({
      name: 'UnauthenticatedError',
    });
  });

  it('refuses a validly signed token whose claims are not a session', async () => {
    const noExp = await new SignJWT({ role: 'ADMIN' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setIssuer('acme-crm')
      .sign(key);
    await expect(verifySessionToken(noExp, SECRET)).rejects.toMatchObject({ problem: 'invalid-claims' });
    const badRole = await new SignJWT({ role: 'ROOT' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setIssuer('acme-crm')
      .setExpirationTime('1h')
      .sign(key);
    await expect(verifySessionToken(badRole, SECRET)).rejects.toMatchObject({ problem: 'invalid-claims' });
  });

  it('allows an iat a little ahead of this clock (CLOCK_SKEW_SECONDS), not more, and requires one', async () => {
    const now = Math.floor(Date.now() / 1000);
    const issuedAt = (iat: number | undefined) => {
      const jwt = new SignJWT({ role: 'USER' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1');
      if (iat !== undefined) jwt.setIssuedAt(iat);
      return jwt
        .setIssuer('acme-crm')
        .setExpirationTime(now + 48 * 3600)
        .sign(key);
    };
    expect(CLOCK_SKEW_SECONDS).toBe(60);
    await expect(verifySessionToken(await issuedAt(now + CLOCK_SKEW_SECONDS - 5), SECRET)).resolves.toMatchObject({
      id: 'u1',
    });
    for (const iat of [now + CLOCK_SKEW_SECONDS + 5, now + 24 * 3600, undefined]) {
      await expect(verifySessionToken(await issuedAt(iat), SECRET)).rejects.toMatchObject({
        problem: 'invalid-claims',
      });
    }
  });

  it('reads bearer headers strictly', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
