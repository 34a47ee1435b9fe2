import { describe, expect, it } from 'vitest';
import { eachBounded } from '../../tooling/orgs/each-bounded.ts';

describe('eachBounded (the deploy and status loop over organizations)', () => {
  it('keeps at most `limit` running and returns the results in item order', async () => {
    let running = 0;
    let peak = 0;
    const out = await eachBounded([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('runs every item when some fail, then throws every failure', async () => {
    const visited: number[] = [];
    const run = eachBounded([1, 2, 3, 4, 5, 6], 2, async (n) => {
      visited.push(n);
      if (n === 2 || n === 5) throw new Error(`item ${n}`);
      return n;
    });
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e) => (e as Error).message).sort()).toEqual(['item 2', 'item 5']);
    expect(visited.sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('throws a single failure as it is', async () => {
    await expect(
      eachBounded([1, 2, 3], 3, async (n) => (n === 3 ? Promise.reject(new RangeError('three')) : n)),
    ).rejects.toThrow(RangeError);
  });
});
