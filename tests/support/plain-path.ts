import { afterAll } from 'vitest';
import { readDbConfig } from '../../src/config.ts';
import { DbRuntime } from '../../src/runtime.ts';

/**
 * For suites that compare a fast path with the plain one. A runtime on the
 * file's database without row-level security (its policies would hide a
 * dropped rule), closed after the file.
 */
export function ormOnlyRuntime(): DbRuntime {
  const runtime = new DbRuntime(readDbConfig({ DATABASE_URL: process.env.DATABASE_URL }));
  afterAll(() => runtime.close());
  return runtime;
}

/** A call's outcome as two paths must agree on it: its value as `normalize` gives it, or its error's kind. */
export async function outcomeOf(f: () => Promise<unknown>, normalize: (value: unknown) => unknown) {
  try {
    return { ok: normalize(await f()) };
  } catch (err) {
    const e = err as { name?: string; reason?: string; dbErrorCode?: string };
    return { error: e.name, reason: e.reason, code: e.dbErrorCode };
  }
}
