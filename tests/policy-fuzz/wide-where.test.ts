/**
 * Wide-where mode of the policy fuzz (issue 26, point 1): where-trees of 30+
 * leaves, mixed Int/Float/Decimal/Date/BigInt/String leaves drawn from a few
 * equal values (1.5 as a float, '1.5', Decimal(1.5), a string '1.5', ...),
 * run with the query cache on (miss, then hits with other values of the same
 * shape) against the plain path (`queryCache: false`), rows compared. The
 * randomized suite rarely draws 25 leaves; the probe collision of issue 26
 * needed them. Project schema (Treatment, Patient: to-many membership rules)
 * and the corpus's Measure (tests/schema-corpus/sites: every leaf kind).
 *
 *   POLICY_WIDE_CASES=500 pnpm test:policy-fuzz      more cases (default 40 per model)
 *   POLICY_SEED=123 pnpm test:policy-fuzz     replays a failure's seed
 */
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fastPathsEnabled } from '../../src/fast-path/index.ts';
import { loadSession } from '../../src/index.ts';
import { openCorpus } from '../schema-corpus/harness.ts';
import { schema as sites } from '../schema-corpus/sites/schema.ts';
import { openUnrestrictedDb, uid } from '../support/fixtures.ts';
import { arrangeCacheFixtures, cacheHarness } from '../support/query-cache.ts';
import { Rng } from './rng.ts';

const CASES = Number(process.env.POLICY_WIDE_CASES || 40);
const SEED = process.env.POLICY_SEED ? Number(process.env.POLICY_SEED) : Math.floor(Math.random() * 2 ** 31);

type Kind = 'int' | 'float' | 'decimal' | 'date' | 'bigint' | 'string';
type Field = [name: string, kind: Kind];
type Client = Record<string, Record<string, (a: unknown) => Promise<unknown>>>;

/** Each kind's values in a few forms, all of one shape class per form (positive; integer or not). */
const FORMS: Record<Kind, ((v: number) => unknown)[]> = {
  int: [(v) => Math.ceil(v)],
  float: [(v) => v + 0.5],
  decimal: [(v) => v + 0.5, (v) => String(v + 0.5), (v) => new Decimal(v + 0.5), (v) => Math.ceil(v)],
  date: [(v) => new Date(Date.UTC(2026, 0, 1) + Math.round(v * 1.5) * 86_400_000)],
  bigint: [(v) => BigInt(Math.ceil(v))],
  string: [(v) => String(v + 0.5), (v) => String(Math.ceil(v)), (v) => `n${v}`],
};
const OPS = ['lt', 'lte', 'gt', 'gte', 'equals', 'not'] as const;

/** A tree template: its leaves' fields, operators and forms are fixed; `fill` gives it values. */
function template(rng: Rng, fields: Field[]) {
  const leaves: { field: string; op: string; form: (v: number) => unknown }[] = [];
  const target = rng.int(30, 40);
  const node = (depth: number): unknown => {
    if (depth > 2 || leaves.length >= target || rng.bool(0.3)) {
      const [field, kind] = rng.pick(fields);
      const leaf = { field, op: rng.pick(OPS), form: rng.pick(FORMS[kind]) };
      const i = leaves.push(leaf) - 1;
      return (values: number[]) => ({ [field]: { [leaf.op]: leaf.form(values[i] as number) } });
    }
    const children: unknown[] = [];
    for (let k = rng.int(2, 6); k > 0; k--) children.push(node(depth + 1));
    const combinator = rng.pick(['AND', 'OR', 'NOT']);
    return (values: number[]) => ({ [combinator]: children.map((c) => (c as (v: number[]) => unknown)(values)) });
  };
  const top: unknown[] = [];
  while (leaves.length < target) top.push(node(1));
  return {
    leaves: leaves.length,
    fill: (values: number[]) => ({ AND: top.map((c) => (c as (v: number[]) => unknown)(values)) }),
  };
}

interface Target {
  model: string;
  fields: Field[];
  orderBy: object;
  plain: (s: unknown) => Client;
  cached: (s: unknown) => Client;
  sessions: unknown[];
  hits: () => number;
}

async function fuzz(target: Target, seed: number) {
  const rng = new Rng(seed);
  const before = target.hits();
  let leaves = 0;
  for (let i = 0; i < CASES; i++) {
    const t = template(rng, target.fields);
    leaves = Math.max(leaves, t.leaves);
    const draw = () => Array.from({ length: t.leaves }, () => rng.int(0, 3));
    const a = draw();
    for (const values of [a, a, draw(), draw()]) {
      const session = rng.pick(target.sessions);
      const op = rng.pick(['findMany', 'count'] as const);
      const args = { where: t.fill(values), ...(op === 'findMany' ? { orderBy: target.orderBy } : {}) };
      const run = (db: Client) => (db[target.model] as Client[string])[op]?.(args) as Promise<unknown>;
      const expected = await run(target.plain(session));
      const actual = await run(target.cached(session));
      expect(actual, `wide-where ${target.model} case ${i} (seed ${seed}; replay: POLICY_SEED=${seed})`).toEqual(
        expected,
      );
    }
  }
  expect(leaves).toBeGreaterThanOrEqual(30);
  // Not "never cache": wide shapes are cached and hit with values their miss never saw. With every
  // fast path off (ACME_DB_FAST_PATHS=0) there is no cache, and the run is the plain path against itself.
  if (fastPathsEnabled(undefined)) expect(target.hits() - before).toBeGreaterThan(0);
  else expect(target.hits() - before).toBe(0);
}

const raw = openUnrestrictedDb();
const project = cacheHarness();
let corpus: Awaited<ReturnType<typeof openCorpus>>;
let projectSessions: unknown[];
beforeAll(async () => {
  const { t } = await arrangeCacheFixtures(raw);
  for (let k = 0; k < 6; k++) {
    await raw.patient.create({
      data: {
        name: String(k % 3) + (k % 2 ? '.5' : ''),
        email: `${uid('p')}@example.com`,
        clinicId: (k % 2 ? t.clinicA : t.clinicB).id,
        dateOfBirth: new Date(Date.UTC(2026, 0, 1 + k)),
      },
    });
  }
  projectSessions = [t.sessions.admin, t.sessions.supportA, t.sessions.staffA, t.sessions.staffAB, t.sessions.viewerA];
  projectSessions.push(await loadSession({ id: uid('nobody'), role: 'USER' }));
  corpus = await openCorpus('wide', sites);
  for (let k = 0; k < 12; k++) {
    const siteId = `s${k % 3}`;
    if (k < 3) await corpus.stock.site?.create?.({ data: { id: siteId, name: siteId } });
    const v = k % 4;
    await corpus.stock.measure?.create?.({
      data: {
        id: `m${k}`,
        siteId,
        i: Math.ceil(v),
        f: v + 0.5,
        d: new Decimal(k % 2 ? v + 0.5 : Math.ceil(v)),
        at: new Date(Date.UTC(2026, 0, 1) + Math.round(v * 1.5) * 86_400_000),
        b: BigInt(k % 3),
        s: k % 2 ? String(v + 0.5) : `n${v}`,
        level: k % 2 ? 'HIGH' : 'LOW',
        codes: [k],
      },
    });
  }
}, 120_000);
afterAll(async () => {
  await raw.$disconnect();
  await corpus?.close();
});

it(`wide where-trees: the cache agrees with the plain path on Treatment and Patient (seed ${SEED})`, async () => {
  const common = {
    plain: (s: unknown) => project.plainDb(s as never) as unknown as Client,
    cached: (s: unknown) => project.cachedDb(s as never) as unknown as Client,
    sessions: projectSessions,
    hits: () => project.stats().hits,
  };
  const treatment: Field[] = [
    ['price', 'decimal'],
    ['maintenanceIntervalMonths', 'int'],
    ['createdAt', 'date'],
    ['name', 'string'],
    ['description', 'string'],
  ];
  await fuzz({ ...common, model: 'treatment', fields: treatment, orderBy: { id: 'asc' } }, SEED);
  const patient: Field[] = [
    ['name', 'string'],
    ['dateOfBirth', 'date'],
    ['createdAt', 'date'],
    ['phone', 'string'],
  ];
  await fuzz({ ...common, model: 'patient', fields: patient, orderBy: { id: 'asc' } }, SEED + 1);
});

it(`wide where-trees on a foreign schema: Int/Float/Decimal/Date/BigInt/String leaves (seed ${SEED})`, async () => {
  const fields: Field[] = [
    ['i', 'int'],
    ['f', 'float'],
    ['d', 'decimal'],
    ['at', 'date'],
    ['b', 'bigint'],
    ['s', 'string'],
  ];
  const sessions = [
    { id: 'a', role: 'ADMIN' },
    { id: 'su', role: 'SUPPORT' },
    { id: 'u1', role: 'USER', memberships: [{ clinicId: 's1', role: 'STAFF' }] },
    {
      id: 'u2',
      role: 'USER',
      memberships: [
        { clinicId: 's0', role: 'VIEWER' },
        { clinicId: 's2', role: 'STAFF' },
      ],
    },
  ];
  await fuzz(
    {
      model: 'measure',
      fields,
      orderBy: { id: 'asc' },
      plain: (s) => corpus.ours(s as never, { queryCache: false }),
      cached: (s) => corpus.ours(s as never),
      sessions,
      hits: () => corpus.stats().hits,
    },
    SEED + 2,
  );
});
