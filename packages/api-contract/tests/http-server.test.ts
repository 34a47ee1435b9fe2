/**
 * The API over real HTTP (createApiServer on 127.0.0.1, port 0) on real PostgreSQL: NUL bytes, field errors,
 * the body cap, the audit log's FORBIDDEN, and the server-side log of a 500.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signSessionToken } from '@acme/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUnrestrictedDb, snapshot, uid } from '../../../tests/support/fixtures.ts';
import { createApiServer } from '../src/index.ts';

const SECRET = 'http-test-secret-0123456789abcdef-0123456789';
const raw = openUnrestrictedDb();
const logged: string[] = [];
const server = createApiServer({ secret: SECRET, logError: (line) => logged.push(line) });
let base = '';
const tokens: Record<'USER' | 'ADMIN', string> = { USER: '', ADMIN: '' };

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tokens.USER = await signSessionToken({ id: 'http-user', role: 'USER' }, SECRET);
  tokens.ADMIN = await signSessionToken({ id: 'http-admin', role: 'ADMIN' }, SECRET);
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await raw.$disconnect();
});

async function call(role: 'USER' | 'ADMIN', path: string, body?: string) {
  const res = await fetch(`${base}/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body }),
  });
  return {
    status: res.status,
    json: (await res.json()) as { error?: { message: string; data: Record<string, unknown> } },
  };
}

describe('text inputs', () => {
  it('a NUL byte is a 400 with a field message, for every text field, and nothing is written', async () => {
    const before = await snapshot(raw);
    const cases: [string, Record<string, unknown>, string][] = [
      ['clinic.create', { name: 'a\u0000b', code: uid('N') }, 'name'],
      ['clinic.create', { name: 'Ok', code: 'N\u0000' }, 'code'],
      ['treatment.create', { name: 'T', price: '1.00', description: 'x\u0000' }, 'description'],
      ['patient.create', { clinicId: 'c', name: 'P\u0000', email: 'p@example.com' }, 'name'],
      ['patient.create', { clinicId: 'c', name: 'P', email: 'p@example.com', phone: '1\u0000' }, 'phone'],
      ['clinic.update', { id: 'x', data: { name: '\u0000' } }, 'data.name'],
      ['membership.create', { userId: 'u\u0000', clinicId: 'c' }, 'userId'],
    ];
    for (const [path, input, field] of cases) {
      const { status, json } = await call('ADMIN', path, JSON.stringify(input));
      expect(status, path).toBe(400);
      const fieldErrors = json.error?.data.fieldErrors as Record<string, string[]>;
      expect(fieldErrors[field], `${path} ${field}`).toEqual(expect.arrayContaining([expect.stringMatching(/NUL/)]));
    }
    expect(await snapshot(raw)).toEqual(before);
    expect(logged).toEqual([]);
  });

  it('a right-to-left override or a lone surrogate is a 400 with a field message, and nothing is written', async () => {
    const before = await snapshot(raw);
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['clinic.create', { name: 'Clinic \u202Egpj.exe', code: uid('B') }, 'name', /bidirectional control/],
      ['clinic.update', { id: 'x', data: { name: 'a\u2067b' } }, 'data.name', /bidirectional control/],
      ['patient.create', { clinicId: 'c', name: 'P\u200F', email: 'p@example.com' }, 'name', /bidirectional/],
      // JSON.stringify writes a lone surrogate as the escape \ud800, which the server's JSON.parse turns back into one.
      ['clinic.create', { name: 'Bad \uD800 half', code: uid('S') }, 'name', /well-formed Unicode/],
    ];
    for (const [path, input, field, message] of cases) {
      const { status, json } = await call('ADMIN', path, JSON.stringify(input));
      expect(status, path).toBe(400);
      const fieldErrors = json.error?.data.fieldErrors as Record<string, string[]>;
      expect(fieldErrors[field], `${path} ${field}`).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    }
    expect(await snapshot(raw)).toEqual(before);
    expect(logged).toEqual([]);
  });

  it('a validation error has a short message and structured field errors, not a JSON array in a string', async () => {
    const { status, json } = await call('ADMIN', 'clinic.create', JSON.stringify({ name: '', code: 'x'.repeat(33) }));
    expect(status).toBe(400);
    expect(json.error?.message).toMatch(/^Invalid input: name: .+; code: .+$/);
    expect(json.error?.message).not.toContain('[');
    expect(json.error?.data).toMatchObject({
      code: 'BAD_REQUEST',
      formErrors: [],
      fieldErrors: { name: [expect.any(String)], code: [expect.any(String)] },
    });
    const extra = await call('ADMIN', 'clinic.create', JSON.stringify({ name: 'N', code: 'C', admin: true }));
    expect(extra.json.error?.data.formErrors).toEqual([expect.stringContaining('admin')]);
    // Not a validation error: no field errors.
    const denied = await call('USER', 'clinic.create', JSON.stringify({ name: 'N', code: uid('C') }));
    expect(denied.status).toBe(403);
    expect(denied.json.error?.data.fieldErrors).toBeNull();
  });
});

/** Sends `sent` bytes of a body that declares (or, chunked, never ends at) `declared`, and waits for the answer. */
function sendPartialBody(opts: { declared?: number; sent: number }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/clinic.create`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.ADMIN}`,
        'content-type': 'application/json',
        ...(opts.declared ? { 'content-length': String(opts.declared) } : {}),
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    for (let n = 0; n < opts.sent; n += chunk.length) req.write(chunk);
    // The body is never finished: an answer proves the server did not wait to read it all.
  });
}

describe('request size', () => {
  it('a declared 20 MB body is refused with 413 before it is read', async () => {
    const res = await sendPartialBody({ declared: 20 * 1024 * 1024, sent: 64 * 1024 });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({
      error: {
        code: -32013,
        message: 'Request body too large: at most 1048576 bytes',
        data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 },
      },
    });
  });

  it('a chunked body is cut off with 413 once it passes 1 MB', async () => {
    const res = await sendPartialBody({ sent: 2 * 1024 * 1024 });
    expect(res.status).toBe(413);
    // The same message as the declared-length refusal above.
    expect(JSON.parse(res.body)).toMatchObject({
      error: {
        code: -32013,
        message: 'Request body too large: at most 1048576 bytes',
        data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 },
      },
    });
  });

  it('a body under the cap still works', async () => {
    const code = uid('SZ');
    const { status } = await call('ADMIN', 'clinic.create', JSON.stringify({ name: 'Sized', code }));
    expect(status).toBe(200);
    expect(await raw.clinic.count({ where: { code } })).toBe(1);
  });
});

describe('audit log', () => {
  it('is FORBIDDEN over HTTP for a USER, readable for ADMIN', async () => {
    expect((await call('USER', 'auditLog.list')).status).toBe(403);
    expect((await call('ADMIN', 'auditLog.list')).status).toBe(200);
  });
});

describe('a 500', () => {
  it('is "Internal error" for the client and logged on the server with its SQLSTATE, without values', async () => {
    logged.length = 0;
    // A real failure the API cannot map: the column is gone (schema drift), SQLSTATE 42703.
    await raw.$executeRawUnsafe(`ALTER TABLE "Clinic" RENAME COLUMN "code" TO "code_gone"`);
    try {
      const name = 'Secret Clinic Name';
      const { status, json } = await call('ADMIN', 'clinic.create', JSON.stringify({ name, code: 'SECRET-CODE' }));
      expect(status).toBe(500);
      expect(json.error?.message).toBe('Internal error');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(
        /^\[api\] 500 mutation clinic\.create: .*ORMError db-query-error.* SQLSTATE 42703 .*<- error SQLSTATE 42703 at /,
      );
      expect(logged[0]).not.toMatch(/Secret Clinic Name|SECRET-CODE|INSERT|password/i);
    } finally {
      await raw.$executeRawUnsafe(`ALTER TABLE "Clinic" RENAME COLUMN "code_gone" TO "code"`);
    }
  });
});
