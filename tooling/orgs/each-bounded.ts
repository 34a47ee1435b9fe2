/**
 * Runs `fn` over `items`, at most `limit` at a time. One failing item does not
 * stop the others: every item runs, then the failure is thrown (several
 * together as an AggregateError), so a deploy over 1,000 organizations never
 * leaves the rest unvisited because the third one failed.
 */
export async function eachBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} of ${items.length} items failed`);
  return results;
}
