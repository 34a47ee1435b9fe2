/** A session is parsed once at the edge; what parseSessionUser returned passes below it as it is. */
import { describe, expect, it } from 'vitest';
import {
  InvalidSessionError,
  isValidSession,
  parseSessionUser,
  signSessionToken,
  verifySessionToken,
} from '../src/index.ts';

const SECRET = 'valid-session-test-secret-0123456789abcdef';

describe('ValidSession', () => {
  it('is returned as it is by a second parse, and is frozen all the way down', () => {
    const session = parseSessionUser({ id: 'u1', role: 'USER', memberships: [{ clinicId: 'c1', role: 'STAFF' }] });
    expect(isValidSession(session)).toBe(true);
    expect(parseSessionUser(session)).toBe(session);
    expect(Object.isFrozen(session) && Object.isFrozen(session.memberships)).toBe(true);
    expect(Object.isFrozen(session.memberships[0])).toBe(true);
    expect(() => {
      (session as { role: string }).role = 'ADMIN';
    }).toThrow(TypeError);
    expect(session.role).toBe('USER');
  });

  it('a look-alike (a copy, a cast) is not valid and is parsed, so a bad one is still refused', () => {
    const session = parseSessionUser({ id: 'u1', role: 'USER' });
    const copy = { ...session };
    expect(isValidSession(copy)).toBe(false);
    expect(parseSessionUser(copy)).not.toBe(copy);
    expect(() => parseSessionUser({ ...session, role: 'ROOT' })).toThrow(InvalidSessionError);
    expect(isValidSession({ id: 'u1', role: 'ADMIN', memberships: [] })).toBe(false);
  });

  it('comes out of a verified token', async () => {
    const verified = await verifySessionToken(await signSessionToken({ id: 'u2', role: 'ADMIN' }, SECRET), SECRET);
    expect(isValidSession(verified)).toBe(true);
    expect(verified).toEqual({ id: 'u2', role: 'ADMIN', memberships: [] });
  });
});
