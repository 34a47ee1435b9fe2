import { parseSessionUser, type SessionInput } from '@acme/auth';
import { type AnyPlugin, ZenStackClient } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { PolicyPlugin } from '@zenstackhq/plugin-policy';
import { expect, inject } from 'vitest';
import { readDbConfig } from '../../src/config.ts';
import { openPool } from '../../src/pool.ts';
import { DbRuntime } from '../../src/runtime.ts';
import { createScratchDatabase, dropDatabase } from '../../tooling/database.ts';
import { ownerDialect } from '../zenstack-internals/harness.ts';

type Client = Record<string, Record<string, (args?: unknown) => Promise<unknown>>>;
export type CorpusSession = SessionInput | null;

/**
 * One foreign schema on a fresh database of its own (`$pushSchema`): a stock
 * ZenStack client (seeding, no rules), stock ZenStack + PolicyPlugin per
 * session (the reference), and this project's runtime over the same
 * database with `RuntimeOptions.schema` (every layer, no row-level security:
 * PostgreSQL's policies would hide a layer that dropped a rule).
 */
export async function openCorpus(name: string, schema: SchemaDef) {
  const url = await createScratchDatabase(inject('testServerUrl'), `acme_corpus_${name}`);
  const pool = openPool(readDbConfig({ DATABASE_URL: url, DB_POOL_MAX: '2' }));
  const dialect = ownerDialect(pool);
  const stock = new ZenStackClient(schema, { dialect, plugins: [] as AnyPlugin[] });
  await stock.$pushSchema();
  const policy = stock.$use(new PolicyPlugin());
  const runtime = new DbRuntime(readDbConfig({ DATABASE_URL: url }), { schema });
  return {
    stock: stock as unknown as Client,
    reference: (s: CorpusSession) =>
      (s === null ? policy : policy.$setAuth(parseSessionUser(s) as never)) as unknown as Client,
    ours: (s: CorpusSession, options: { queryCache?: boolean } = {}) =>
      runtime.createDb(s as never, options) as unknown as Client,
    stats: () => runtime.poolStats().queryCache,
    close: async () => {
      await runtime.close();
      await pool.end();
      await dropDatabase(url);
    },
  };
}
export type Corpus = Awaited<ReturnType<typeof openCorpus>>;

/** A read whose shape stays while its values change: `values` are tried in turn on one shape. */
export interface CorpusRead {
  name: string;
  model: string;
  op: string;
  args: (v: number) => unknown;
}

const outcome = async (fn: () => Promise<unknown>) => {
  try {
    return { ok: await fn() };
  } catch (err) {
    return { error: (err as Error).name, reason: (err as { reason?: unknown }).reason };
  }
};

/**
 * Each read, for each session, with value set 0 twice (a miss, then a hit
 * when the shape is cacheable) and with sets 1 and 2 (hits with values the
 * miss never saw), cache on and off: every result equals stock ZenStack +
 * PolicyPlugin for the same session on the same data.
 */
export async function agreeWithStock(corpus: Corpus, reads: CorpusRead[], sessions: CorpusSession[]) {
  for (const read of reads) {
    for (const session of sessions) {
      for (const v of [0, 0, 1, 2]) {
        const what = `${read.name} as ${session ? `${session.role} ${session.id}` : 'anonymous'} (values ${v})`;
        const call = (client: Client) => () =>
          (client[read.model] as Client[string])[read.op]?.(read.args(v)) as Promise<unknown>;
        const expected = await outcome(call(corpus.reference(session)));
        expect(await outcome(call(corpus.ours(session))), what).toEqual(expected);
        expect(await outcome(call(corpus.ours(session, { queryCache: false }))), `${what}, cache off`).toEqual(
          expected,
        );
      }
    }
  }
}
