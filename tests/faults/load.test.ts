/**
 * 64 concurrent clients on a mixed workload (reads, creates, updates, denied
 * writes) for LOAD_SECONDS (default 30) through the default pool of 10.
 * Afterwards: no unexpected error, no lost or duplicated write, an idle pool,
 * bounded memory. The numbers are printed for the record.
 */
import Decimal from 'decimal.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, ORMError, poolStats } from '../../src/index.ts';
import { openUnrestrictedDb } from '../support/fixtures.ts';

const CLIENTS = 64;
const SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

describe('load', () => {
  it(`${CLIENTS} clients for ${SECONDS}s lose nothing and leave the pool idle`, async () => {
    const counters = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        raw.treatment.create({
          data: { name: `counter-${i}`, price: new Decimal('1.00'), maintenanceIntervalMonths: 1 },
        }),
      ),
    );
    const stats = { reads: 0, creates: 0, updates: 0, denied: 0, unexpected: [] as string[] };
    const increments = new Array<number>(CLIENTS).fill(0);
    const heap: number[] = [];
    const sampler = setInterval(() => heap.push(process.memoryUsage().heapUsed), 1000);
    const deadline = Date.now() + SECONDS * 1000;

    async function client(i: number) {
      const user = createDb({ id: `load-user-${i}`, role: 'USER' });
      const admin = createDb({ id: `load-admin-${i}`, role: 'ADMIN' });
      let n = 0;
      while (Date.now() < deadline) {
        n++;
        const pick = (i + n) % 10;
        try {
          if (pick < 5) {
            await user.treatment.findMany({
              take: 20,
              orderBy: { name: 'asc' },
              include: { treatmentsByClinic: true },
            });
            stats.reads++;
          } else if (pick < 7) {
            await admin.treatment.create({ data: { name: `load-${i}-${n}`, price: new Decimal('2.50') } });
            stats.creates++;
          } else if (pick < 9) {
            await admin.treatment.update({
              where: { id: counters[i]?.id as string },
              data: { maintenanceIntervalMonths: { increment: 1 } },
            });
            increments[i] = (increments[i] ?? 0) + 1;
            stats.updates++;
          } else {
            try {
              await user.clinic.create({ data: { name: 'denied', code: `denied-${i}-${n}` } });
              stats.unexpected.push('a USER create was allowed');
            } catch (err) {
              if (err instanceof ORMError && err.reason === 'rejected-by-policy') stats.denied++;
              else throw err;
            }
          }
        } catch (err) {
          stats.unexpected.push((err as Error).message.split('\n')[0] as string);
        }
      }
    }

    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    clearInterval(sampler);

    const created = await raw.treatment.count({ where: { name: { startsWith: 'load-' } } });
    const finals = await raw.treatment.findMany({ where: { id: { in: counters.map((c) => c.id) } } });
    const byId = new Map(finals.map((t) => [t.id, t.maintenanceIntervalMonths]));
    const lostUpdates = counters.filter((c, i) => byId.get(c.id) !== 1 + (increments[i] ?? 0)).length;
    await expect.poll(() => poolStats()?.waiting === 0 && poolStats()?.idle === poolStats()?.total).toBe(true);

    const mb = (b: number | undefined) => Math.round((b ?? 0) / 1048576);
    const ops = stats.reads + stats.creates + stats.updates + stats.denied;
    console.log(
      `[load] ${CLIENTS} clients, ${SECONDS}s: ${ops} ops (${Math.round(ops / SECONDS)}/s) — reads ${stats.reads}, ` +
        `creates ${stats.creates} (rows found ${created}), updates ${stats.updates} (lost ${lostUpdates}), ` +
        `denied ${stats.denied}, unexpected ${stats.unexpected.length}; pool ${JSON.stringify(poolStats())}; ` +
        `heap MB first/max/last ${mb(heap[0])}/${mb(Math.max(...heap))}/${mb(heap.at(-1))}`,
    );

    expect(stats.unexpected).toEqual([]);
    expect(created).toBe(stats.creates);
    expect(lostUpdates).toBe(0);
    expect(stats.denied).toBeGreaterThan(0);
    expect(await raw.clinic.count({ where: { code: { startsWith: 'denied-' } } })).toBe(0);
    // Bounded memory: the second half of the run does not keep growing past the first half's peak by much.
    const half = Math.floor(heap.length / 2);
    const firstPeak = Math.max(...heap.slice(0, half));
    expect(Math.max(...heap.slice(half))).toBeLessThan(firstPeak * 1.5 + 64 * 1048576);
  });
});
