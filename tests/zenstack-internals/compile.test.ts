/**
 * Contract tests: compile.ts and plugin-order.ts (src/zenstack-internals/).
 * Each fails loudly when ZenStack or Kysely stops behaving as the reach-in
 * assumes; the message says which reach-in to review.
 */
import type { AnyPlugin } from '@zenstackhq/orm';
import { RawNode } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import {
  asHandlerError,
  asZenStackPlugins,
  checkVersions,
  compileAsZenStack,
  executeCompiled,
  isTransactionClient,
  UnverifiedDependencyError,
  VERIFIED_VERSIONS,
} from '../../src/zenstack-internals/index.ts';
import { openUnrestrictedDb } from '../support/fixtures.ts';
import { recordSentSql } from '../support/sent-sql.ts';
import { stockClient } from './harness.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

describe('versions.ts', () => {
  it('the installed ZenStack and Kysely are the verified ones', () => {
    expect(() => checkVersions({})).not.toThrow();
  });

  it('refuses other versions, or warns with ACME_DB_UNVERIFIED_INTERNALS=warn', () => {
    const other = (name: string) => (name === 'kysely' ? '0.30.0' : VERIFIED_VERSIONS[name as 'kysely']);
    expect(() => checkVersions({}, other)).toThrow(UnverifiedDependencyError);
    expect(() => checkVersions({}, other)).toThrow(/kysely 0\.30\.0 \(verified: 0\.29\.9\)/);
    expect(() => checkVersions({ ACME_DB_UNVERIFIED_INTERNALS: 'warn' }, other)).not.toThrow();
  });
});

describe('compileAsZenStack: the SQL ZenStack hands the driver', () => {
  const compiled: { sql: string; parameters: readonly unknown[] }[] = [];
  const spy: AnyPlugin = {
    id: 'spy',
    onKyselyQuery: ({ client, query, proceed }) => {
      compiled.push(compileAsZenStack(client, query));
      return proceed(query);
    },
  };
  const db = stockClient([spy]);
  const sent = recordSentSql((text, values) => ({ sql: text, parameters: values }));

  it('equals, text and parameters, what reaches the pg client (name mapping and aliases included)', async () => {
    await db.clinic.findMany({
      where: { name: { startsWith: 'x' }, createdAt: { lte: new Date('2030-01-01T00:00:00Z') } },
      include: { treatmentsByClinic: { include: { treatment: true } } },
      take: 3,
    });
    expect(compiled).toHaveLength(1);
    const atDriver = sent.filter((s) => /^select/i.test(s.sql));
    expect(atDriver).toEqual(compiled);
  });
});

describe('executeCompiled ($raw: true)', () => {
  const db = stockClient();
  it('sends the given parameters as they are through the executor', async () => {
    const node = RawNode.createWithSql('select $1::text as a, $2::int as b');
    const result = await executeCompiled<{ a: string; b: number }>(db, {
      sql: 'select $1::text as a, $2::int as b',
      node,
      parameters: ['x', 7],
    });
    expect(result.rows).toEqual([{ a: 'x', b: 7 }]);
  });
});

describe('isTransactionClient', () => {
  const db = stockClient();
  it('is true for $transaction’s client only', async () => {
    expect(isTransactionClient(db)).toBe(false);
    await db.$transaction(async (tx) => {
      expect(isTransactionClient(tx)).toBe(true);
    });
  });
});

describe('asHandlerError: what a read handler throws for a failed statement', () => {
  const db = stockClient();
  it('matches ZenStack’s own error for the same failure (reason, message, SQLSTATE)', async () => {
    // NUL is not valid in PostgreSQL text: the statement fails in the database (22021).
    const theirs = await db.clinic.findMany({ where: { name: 'a\u0000b' } }).catch((e: unknown) => e);
    const err = theirs as { reason?: string; message?: string; dbErrorCode?: string; cause?: unknown };
    expect(err.reason).toBe('db-query-error');
    // ZenStack 3.9 keeps the SQLSTATE on the executor's error (the cause), not on the handler's wrap.
    expect((err.cause as { dbErrorCode?: string }).dbErrorCode).toBe('22021');
    // The executor's error (one wrap) is what a statement sent past the handler throws.
    const ours = asHandlerError('findMany', err.cause, 'select 1', []) as typeof err;
    expect(ours.reason).toBe(err.reason);
    expect(ours.message).toBe(err.message);
    expect(ours.dbErrorCode).toBe(err.dbErrorCode);
  });
});

describe('plugin order (plugin-order.ts)', () => {
  // Built at collection time: stockClient's afterAll (which ends its pool) is not registered from inside a test.
  const seen: string[] = [];
  const layer = (id: string): AnyPlugin => ({
    id,
    onQuery: ({ args, proceed }) => {
      seen.push(`${id}:operation`);
      return proceed(args);
    },
    onKyselyQuery: ({ query, proceed }) => {
      seen.push(`${id}:statement`);
      return proceed(query);
    },
  });
  const db = stockClient(asZenStackPlugins([layer('outer'), layer('inner')]));
  it('ZenStack runs the last plugin of its list first, for onQuery and onKyselyQuery', async () => {
    await db.clinic.count();
    expect(seen).toEqual(['outer:operation', 'inner:operation', 'outer:statement', 'inner:statement']);
  });
});
