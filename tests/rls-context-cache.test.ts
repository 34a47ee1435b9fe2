/**
 * The session context cached per connection (src/driver/session-cache.ts):
 * sessions interleaved on a pool of ONE connection never see each other's
 * context, as PostgreSQL's row-level security reads it, through errors,
 * rolled-back transactions and statements without a session; the cache is
 * used only where the connection is one backend (never behind PgBouncer).
 */
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDbConfig } from '../src/config.ts';
import { AcmeDialect } from '../src/driver/index.ts';
import { onOneBackend } from '../src/driver/session-cache.ts';
import { withScope } from '../src/operation-scope.ts';
import { AUTH_SETTING } from '../src/rls/names.ts';
import { authJson } from '../src/rls/session-context.ts';
import { DbRuntime } from '../src/runtime.ts';
import { openUnrestrictedDb, uid } from './support/fixtures.ts';
import { arrangeTenancy, type Tenancy, type TenancySession } from './support/tenancy.ts';

const viaPooler = Boolean(process.env.TEST_APP_VIA);
const raw = openUnrestrictedDb();
const USERS: TenancySession[] = ['staffA', 'staffB', 'viewerA', 'staffAB', 'anonymous', 'admin'];
let t: Tenancy;
/** What each session's context is, and what RLS shows it (read on a connection of its own, context local). */
const expected = new Map<string, { auth: string; patients: number }>();
const oracle = new pg.Pool({ connectionString: process.env.APP_DATABASE_URL, max: 1 });

async function seenByRls(auth: string): Promise<number> {
  const c = await oracle.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('${AUTH_SETTING}', $1, true)`, [auth]);
    const { rows } = await c.query('SELECT count(*)::int AS n FROM "Patient"');
    await c.query('COMMIT');
    return rows[0].n;
  } finally {
    c.release();
  }
}

beforeAll(async () => {
  t = await arrangeTenancy(raw);
  for (const clinicId of [t.clinicA.id, t.clinicB.id, t.clinicB.id]) {
    await raw.patient.createMany({
      data: Array.from({ length: 3 }, () => ({ name: uid('P'), email: `${uid('e')}@x.io`, clinicId })),
    });
  }
  for (const u of USERS) {
    const auth = authJson(t.sessions[u]);
    expected.set(u, { auth, patients: await seenByRls(auth) });
  }
  // The sessions must differ in what they see, or a leak could not show.
  expect(new Set([...expected.values()].map((e) => e.patients)).size).toBeGreaterThanOrEqual(4);
});
afterAll(() => Promise.all([raw.$disconnect(), oracle.end()]));

/** The statement every step runs: the context and what RLS lets it count, in one snapshot. */
const PROBE = CompiledQuery.raw(
  `SELECT coalesce(current_setting('${AUTH_SETTING}', true), '') AS auth, (SELECT count(*)::int FROM "Patient") AS n`,
);
const FAILS = CompiledQuery.raw('SELECT 1 / 0');

/** A deterministic shuffle of steps (seeded), so a failure replays. */
function* steps(seed: number, n: number) {
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield x;
  }
}

describe('sessions interleaved on one connection', () => {
  it('each statement runs with its own session context, as RLS sees it, through errors and transactions', async () => {
    const pool = new pg.Pool({ connectionString: process.env.APP_DATABASE_URL, max: 1 });
    const driver = new AcmeDialect({
      primary: pool,
      sessionContext: true,
      pipelined: true,
      lazyBegin: true,
      prepared: 'direct',
      contextCache: true,
      slowMs: 0,
    }).createDriver();
    const wrong: string[] = [];
    let ran = 0;
    try {
      // 64 at a time on one pg connection: Kysely leases serialize on it, in whatever order they come.
      const work = [...steps(26, 300)].map(async (r, i) => {
        const u = USERS[r % USERS.length] as TenancySession;
        const want = expected.get(u) as { auth: string; patients: number };
        const kind = (r >> 8) % 6; // 0-2 plain, 3 in a transaction, 4 a failing statement first, 5 a rolled-back tx
        const c = await driver.acquireConnection();
        try {
          const run = () => withScope({ auth: want.auth }, () => c.executeQuery<{ auth: string; n: number }>(PROBE));
          let seen: { auth: string; n: number } | undefined;
          if (kind === 4) await expect(withScope({ auth: want.auth }, () => c.executeQuery(FAILS))).rejects.toThrow();
          if (kind === 3 || kind === 5) {
            await driver.beginTransaction(c, {});
            seen = (await run()).rows[0];
            if (kind === 3) await driver.commitTransaction(c);
            else await driver.rollbackTransaction(c);
          } else seen = (await run()).rows[0];
          ran++;
          if (seen?.auth !== want.auth || seen?.n !== want.patients) {
            wrong.push(`step ${i} (${u}, kind ${kind}): saw ${JSON.stringify(seen)}, expected ${want.patients}`);
          }
        } finally {
          await driver.releaseConnection(c);
        }
      });
      await Promise.all(work);
      // A statement without a session after all of that: the anonymous context, no rows.
      const c = await driver.acquireConnection();
      const bare = await c.executeQuery<{ auth: string; n: number }>(PROBE);
      await driver.releaseConnection(c);
      expect(bare.rows[0]).toEqual({ auth: '', n: 0 });
      expect(pool.totalCount).toBe(1);
    } finally {
      await pool.end();
    }
    expect(wrong).toEqual([]);
    expect(ran).toBe(300);
  }, 120_000);

  it('the fast and the plain client share the one connection and see exactly their own rows', async () => {
    // 120 operations queue for one connection: the pool wait must not be what fails.
    const runtime = new DbRuntime(readDbConfig({ ...process.env, DB_POOL_MAX: '1', DB_POOL_TIMEOUT_MS: '120000' }));
    try {
      const results = await Promise.all(
        [...steps(7, 120)].map(async (r) => {
          const u = USERS[r % USERS.length] as TenancySession;
          const db = runtime.createDb(t.sessions[u], { fastPaths: (r >> 4) % 3 !== 0 });
          const n =
            (r >> 6) % 4 === 0
              ? await db.$transaction(async (tx) => tx.patient.count())
              : (await db.patient.findMany({ select: { id: true } })).length;
          return { u, n };
        }),
      );
      // The ORM hides soft-deleted rows as RLS does (none here): the same count as the oracle.
      const wrong = results.filter(({ u, n }) => expected.get(u)?.patients !== n);
      expect(wrong).toEqual([]);
      expect(runtime.poolStats().total).toBeLessThanOrEqual(1);
    } finally {
      await runtime.close();
    }
  }, 120_000);
});

describe('where the context is cached', () => {
  it('a direct connection is one backend; through PgBouncer it is not, and the context stays transaction-local', async () => {
    const pool = new pg.Pool({ connectionString: process.env.APP_DATABASE_URL, max: 1 });
    try {
      const client = await pool.connect();
      try {
        expect(await onOneBackend(client)).toBe(!viaPooler);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });

  it('the same session again on the same connection sends its statement alone; another session sets its own', async () => {
    const pool = new pg.Pool({ connectionString: process.env.APP_DATABASE_URL, max: 1 });
    const sent: string[] = [];
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...a: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        const q = args[0];
        sent.push(typeof q === 'string' ? q : String((q as { text?: string }).text ?? ''));
        return query(...args);
      };
    });
    const driver = new AcmeDialect({
      primary: pool,
      sessionContext: true,
      pipelined: true,
      lazyBegin: true,
      prepared: false,
      contextCache: true,
      slowMs: 0,
    }).createDriver();
    const probe = async (u: TenancySession) => {
      const c = await driver.acquireConnection();
      try {
        const auth = expected.get(u)?.auth as string;
        return (await withScope({ auth }, () => c.executeQuery<{ n: number }>(PROBE))).rows[0]?.n;
      } finally {
        await driver.releaseConnection(c);
      }
    };
    try {
      expect(await probe('staffA')).toBe(expected.get('staffA')?.patients);
      sent.length = 0;
      expect(await probe('staffA')).toBe(expected.get('staffA')?.patients);
      const wraps = () => sent.filter((s) => s.startsWith('BEGIN')).length;
      expect(wraps()).toBe(viaPooler ? 1 : 0);
      sent.length = 0;
      expect(await probe('staffB')).toBe(expected.get('staffB')?.patients);
      expect(wraps()).toBe(1);
      const set = sent.find((s) => s.startsWith('BEGIN')) as string;
      // Session-level on a direct connection, transaction-local behind a pooler.
      expect(set.endsWith(viaPooler ? ', true)' : ', false)')).toBe(true);
    } finally {
      await pool.end();
    }
  });
});
