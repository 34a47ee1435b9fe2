/**
 * The mixed workload at several concurrency levels: N workers share one
 * contestant (and its pool of 10) for a fixed time. Reports throughput and
 * latency per level, so pool waits and contention show, not just per-call cost.
 */
import type { SessionInput } from '@acme/auth';
import type { Contestant } from './contestants.ts';
import { type Summary, summarize } from './stats.ts';

const USER: SessionInput = { id: 'bench-user', role: 'USER' };
const ADMIN: SessionInput = { id: 'bench-admin', role: 'ADMIN' };

/** 40 % findUnique, 30 % clinic treatments, 10 % list page, 10 % update, 10 % denied write. */
async function mixedOp(c: Contestant, n: number, clinicId: (i: number) => string, updatable: string) {
  const pick = n % 10;
  if (pick < 4) return c.findUnique(USER, clinicId(n * 31));
  if (pick < 7) return c.clinicTreatments(USER, clinicId(n * 17));
  if (pick < 8) return c.listPage(USER);
  if (pick < 9) return c.update(ADMIN, updatable, n);
  return c.deniedWrite(USER, clinicId(n));
}

export async function mixedAtConcurrency(
  c: Contestant,
  workers: number,
  seconds: number,
  clinicId: (i: number) => string,
): Promise<Summary & { concurrency: number }> {
  const updatable = await c.create(ADMIN, -workers);
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let n = w; performance.now() < deadline; n += workers) {
        const t = performance.now();
        await mixedOp(c, n, clinicId, updatable);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { ...summarize(latencies), opsPerSec: latencies.length / elapsed, concurrency: workers };
}
