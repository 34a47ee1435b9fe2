/**
 * Named statements (sent by the driver, src/driver/send.ts): the ORM's
 * parameterised statements go out named and give the same rows, with RLS in
 * force; transaction control stays unnamed; the master switch turns it off.
 * By default only on a connection that is one backend (not behind PgBouncer,
 * which before 1.21 cannot keep them); `ACME_DB_PREPARED_STATEMENTS=1` names
 * them everywhere, `0` nowhere.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readDbConfig } from '../src/config.ts';
import { preparedStatementsEnabled } from '../src/fast-path/index.ts';
import { DbRuntime } from '../src/runtime.ts';
import { arrangeLinked, dec, openUnrestrictedDb, uid } from './support/fixtures.ts';

const raw = openUnrestrictedDb();
let linked: Awaited<ReturnType<typeof arrangeLinked>>;
const sent: unknown[] = [];
const query = pg.Client.prototype.query;
let prepared: DbRuntime;
let plain: DbRuntime;
let auto: DbRuntime;
beforeAll(async () => {
  linked = await arrangeLinked(raw);
  vi.stubEnv('ACME_DB_PREPARED_STATEMENTS', '1');
  prepared = new DbRuntime(readDbConfig({ ...process.env, DB_POOL_MAX: '1' }));
  vi.stubEnv('ACME_DB_PREPARED_STATEMENTS', '0');
  plain = new DbRuntime(readDbConfig({ ...process.env, DB_POOL_MAX: '1' }));
  vi.unstubAllEnvs();
  auto = new DbRuntime(readDbConfig({ ...process.env, DB_POOL_MAX: '1' }));
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    sent.push(args[0]);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
});
afterAll(async () => {
  pg.Client.prototype.query = query;
  await Promise.all([prepared.close(), plain.close(), auto.close(), raw.$disconnect()]);
});

const namedIn = (queries: unknown[]) =>
  queries.filter((q) => typeof q === 'object' && q !== null && 'name' in q) as { name: string }[];

describe('by default', () => {
  it('statements are named on a direct connection and unnamed through a pooler, with the same rows', async () => {
    const admin = { id: uid('admin'), role: 'ADMIN' } as const;
    const read = (rt: DbRuntime) => rt.createDb(admin).clinic.findUnique({ where: { id: linked.clinic.id } });
    const expected = await read(plain);
    expect(expected?.id).toBe(linked.clinic.id);
    sent.length = 0;
    for (let i = 0; i < 3; i++) expect(await read(auto)).toEqual(expected);
    expect(namedIn(sent)).toHaveLength(process.env.TEST_APP_VIA ? 0 : 3);
    sent.length = 0;
    await read(plain);
    expect(namedIn(sent)).toHaveLength(0);
  });
});

// A pooler in transaction mode (the PgBouncer 1.18 CI leg) cannot keep named statements forced on everywhere.
describe.skipIf(process.env.TEST_APP_VIA)('named statements', () => {
  it('the same rows, three times over one connection, as the unnamed path', async () => {
    const admin = { id: uid('admin'), role: 'ADMIN' } as const;
    const read = (rt: DbRuntime) =>
      rt.createDb(admin).clinic.findUnique({
        where: { id: linked.clinic.id },
        include: { treatmentsByClinic: { include: { treatment: true } } },
      });
    const expected = await read(plain);
    expect(expected?.treatmentsByClinic).toHaveLength(1);
    sent.length = 0;
    for (let i = 0; i < 3; i++) expect(await read(prepared)).toEqual(expected);
    const named = namedIn(sent);
    expect(named).toHaveLength(3);
    expect(new Set(named.map((q) => q.name)).size).toBe(1);
    expect(sent.filter((q) => typeof q === 'string' && /^(begin|commit)/i.test(q)).length).toBeGreaterThan(0);
  });

  it('writes and their audit rows go through named statements too', async () => {
    const admin = { id: uid('admin'), role: 'ADMIN' } as const;
    const db = prepared.createDb(admin);
    for (let i = 0; i < 2; i++) {
      const t = await db.treatment.create({ data: { name: uid('T'), price: dec('3.00') } });
      await db.treatment.update({ where: { id: t.id }, data: { description: 'x' } });
      expect(await raw.treatment.findUnique({ where: { id: t.id } })).toMatchObject({ description: 'x' });
      expect(await raw.auditLog.count({ where: { recordId: t.id } })).toBe(2);
    }
  });

  it('is on for direct connections by default, forced or off by the variable, and off with the fast paths', () => {
    expect(preparedStatementsEnabled({})).toBe('direct');
    expect(preparedStatementsEnabled({ ACME_DB_PREPARED_STATEMENTS: '0' })).toBe(false);
    expect(preparedStatementsEnabled({ ACME_DB_PREPARED_STATEMENTS: '1' })).toBe(true);
    expect(preparedStatementsEnabled({ ACME_DB_PREPARED_STATEMENTS: '1', ACME_DB_FAST_PATHS: '0' })).toBe(false);
  });
});
