/**
 * src/zenstack-internals/lateral-fence.ts: every LATERAL subquery of an include gets
 * `OFFSET 0` (so PostgreSQL cannot flatten it into a hash join that builds the
 * JSON of the whole related table), and the rows stay exactly the plain path's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDbConfig } from '../src/config.ts';
import { DbRuntime } from '../src/runtime.ts';
import { dec, openUnrestrictedDb, uid } from './support/fixtures.ts';
import { recordSentSqlWithin } from './support/sent-sql.ts';

const raw = openUnrestrictedDb();
const runtime = new DbRuntime(readDbConfig({ DATABASE_URL: process.env.DATABASE_URL }));
afterAll(async () => {
  await runtime.close();
  await raw.$disconnect();
});

const { sent, record } = recordSentSqlWithin();

let clinicId = '';
beforeAll(async () => {
  const clinic = await raw.clinic.create({ data: { name: uid('Clinic'), code: uid('C') } });
  clinicId = clinic.id;
  for (const [i, price] of ['10.00', '20.50', '7.25'].entries()) {
    const t = await raw.treatment.create({ data: { name: uid(`T${i}`), price: dec(price) } });
    await raw.treatmentsByClinic.create({
      data: { clinicId, treatmentId: t.id, priceOverride: i === 1 ? dec('19.99') : null },
    });
  }
});

describe('lateral fence', () => {
  const USER = { id: 'lf-user', role: 'USER' } as const;
  const read = (fast: boolean) =>
    record(async () => {
      sent.length = 0;
      const db = runtime.createDb(USER, { fastPaths: fast, queryCache: false });
      const rows = await db.clinic.findUnique({
        where: { id: clinicId },
        include: { treatmentsByClinic: { orderBy: { id: 'asc' }, include: { treatment: true } } },
      });
      return { rows, sql: [...sent] };
    });

  it('adds OFFSET 0 to each include subquery on the fast path, and returns the plain path’s rows', async () => {
    const plain = await read(false);
    const fast = await read(true);
    expect(fast.rows).toEqual(plain.rows);
    expect(fast.rows?.treatmentsByClinic).toHaveLength(3);
    const statement = fast.sql.find((s) => /left join lateral/i.test(s)) ?? '';
    // The to-many aggregate and the to-one treatment: two LATERAL subqueries, each fenced.
    expect(statement.match(/left join lateral/gi)).toHaveLength(2);
    expect(statement.match(/offset 0\)/gi)).toHaveLength(2);
    expect(plain.sql.some((s) => /offset 0/i.test(s))).toBe(false);
  });
});
