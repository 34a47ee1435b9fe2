/**
 * Randomized differential test of the access rules: random worlds, sessions,
 * reads and writes, each compared with the oracle (rules-oracle.ts) on every
 * layer (layers.ts). After each write the whole database, read back as the
 * owner, must equal the oracle's world, audit rows included (a refused write
 * adds none).
 *
 *   pnpm test:policy-fuzz                        2,000 cases, a random seed
 *   POLICY_CASES=100000 pnpm test:policy-fuzz    a long run (or: pnpm test:policy-fuzz --cases 100000)
 *   POLICY_SEED=123 pnpm test:policy-fuzz        replays the episode a failure printed
 *   POLICY_LAYERS=orm,rls pnpm test:policy-fuzz  only some layers
 *
 * Cases come in episodes of EPISODE cases; episode i of a run with seed S has
 * seed S + i and starts from a fresh random world, so any failure replays
 * from its own seed.
 */
import { InvalidSessionError } from '@acme/auth';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type Layer, openLayers } from './layers.ts';
import { expectedRead, type Read, randomRead, readArgs } from './reads.ts';
import { Rng } from './rng.ts';
import { may, type Session } from './rules-oracle.ts';
import { expectedSql, flatten, runSql, sqlVisible } from './sql-layer.ts';
import { canon, normalize, outcomeOf, randomSession, sameOutcome } from './support.ts';
import { auditKeys, byId, cloneWorld, loadWorld, randomWorld, readWorld, type World } from './world.ts';
import { expectedWrite, randomWrite, runOrmWrite, type Write } from './writes.ts';

const argCases = process.argv.indexOf('--cases');
const seeded = process.env.POLICY_SEED !== undefined && process.env.POLICY_SEED !== '';
const EPISODE = 40;
const CASES = Number(
  process.env.POLICY_CASES || (argCases > 0 ? process.argv[argCases + 1] : 0) || (seeded ? EPISODE : 2000),
);
const SEED = seeded ? Number(process.env.POLICY_SEED) : Math.floor(Math.random() * 2 ** 31);
const LAYERS = (process.env.POLICY_LAYERS || 'orm,orm-plain,rls,sql').split(',').map((s) => s.trim());

let layers: Layer[];
beforeAll(async () => {
  layers = await openLayers(inject('testServerUrl'), LAYERS);
}, 120_000);
afterAll(async () => {
  for (const l of layers ?? []) await l.close();
});

class CaseFailure extends Error {}

function fail(seed: number, index: number, layer: string, what: unknown, expected: unknown, actual: unknown): never {
  throw new CaseFailure(
    [
      `policy-fuzz: case ${index} of episode seed ${seed} failed on layer "${layer}"`,
      `  case:     ${JSON.stringify(what)}`,
      `  expected: ${JSON.stringify(expected)}`,
      `  actual:   ${JSON.stringify(actual)}`,
      `  replay:   POLICY_SEED=${seed} POLICY_LAYERS=${layer} pnpm test:policy-fuzz`,
    ].join('\n'),
  );
}

async function checkState(seed: number, index: number, layer: Layer, what: unknown, expected: World) {
  const actual = await readWorld(layer.owner);
  for (const m of ['clinic', 'treatment', 'treatmentsByClinic', 'patient', 'clinicMembership'] as const) {
    const [e, a] = [byId(expected[m]), byId(actual[m])];
    if (canon(e) !== canon(a)) fail(seed, index, layer.name, { ...(what as object), table: m }, e, a);
  }
  const [e, a] = [auditKeys(expected.auditLog), auditKeys(actual.auditLog)];
  if (canon(e) !== canon(a)) fail(seed, index, layer.name, { ...(what as object), table: 'auditLog' }, e, a);
}

async function ormRead(layer: Layer, session: Session, read: Read, includeDeleted: boolean, mode: number) {
  const db = layer.createDb?.(session, { includeDeleted }) as unknown as Record<
    string,
    Record<string, (a: unknown) => Promise<unknown>>
  >;
  const { method, args } = readArgs(read);
  const run = (client: typeof db) => {
    const call = client[read.model]?.[method];
    if (!call) throw new Error(`no ${read.model}.${method}`);
    return call.call(client[read.model], args);
  };
  if (mode === 1)
    return (
      db as unknown as { $transaction: (f: (tx: typeof db) => Promise<unknown>) => Promise<unknown> }
    ).$transaction((tx) => run(tx));
  if (mode === 2) {
    const [a, b] = await Promise.all([run(db), run(db)]);
    if (canon(normalize(a)) !== canon(normalize(b))) return { concurrentMismatch: [a, b] };
    return a;
  }
  if (mode === 3) {
    // Twice in a row: with the cache on (orm, rls) the second is a hit where the shape is cacheable; shapes
    // also repeat across cases with other values, so hits bind values the miss never saw.
    const a = await run(db);
    const b = await run(db);
    if (canon(normalize(a)) !== canon(normalize(b))) return { repeatMismatch: [a, b] };
    return b;
  }
  return run(db);
}

async function runCase(seed: number, index: number, rng: Rng) {
  const base = layers[0]?.world as World;
  const { session, input, malformed } = randomSession(rng, base);
  if (malformed) {
    for (const layer of layers) {
      if (layer.createDb) {
        let error: unknown;
        try {
          layer.createDb(input);
        } catch (err) {
          error = err;
        }
        if (!(error instanceof InvalidSessionError))
          fail(seed, index, layer.name, { session: input }, 'InvalidSessionError', String(error));
      } else {
        // A context PostgreSQL cannot read as a session fails closed: an error, or no rows.
        const seen = await sqlVisible(layer.app as never, malformed, 'clinic');
        if (Array.isArray(seen) && seen.length > 0)
          fail(seed, index, layer.name, { context: malformed }, 'no rows or an error', seen);
      }
    }
    return;
  }
  const context = session ? JSON.stringify(session) : '';
  if (rng.bool(0.6)) {
    const read = randomRead(rng, base);
    const includeDeleted = rng.bool(0.2);
    const mode = rng.int(0, 4); // 0, 4: plain; 1: in $transaction; 2: two at once; 3: twice in a row
    // Layers have databases of their own: they run side by side.
    await eachLayer(async (layer) => {
      const what = { session, read, includeDeleted, mode };
      if (layer.createDb) {
        const expected = expectedRead(layer.world, session, read, includeDeleted);
        let actual: unknown;
        try {
          actual = normalize(await ormRead(layer, session, read, includeDeleted, mode));
        } catch (err) {
          actual = `threw ${(err as Error).message.split('\n')[0]}`;
        }
        if (canon(expected) !== canon(actual)) fail(seed, index, layer.name, what, expected, actual);
      } else {
        const expected = byId(layer.world[read.model].filter((r) => may(session, read.model, 'read', r)));
        const actual = await sqlVisible(layer.app as never, context, read.model);
        if (canon(expected) !== canon(Array.isArray(actual) ? byId(actual) : actual)) {
          fail(seed, index, layer.name, { session, sql: `SELECT * FROM ${read.model}` }, expected, actual);
        }
      }
    });
    return;
  }
  const write: Write = randomWrite(rng, base, `e${index}`);
  const inTransaction = rng.bool(0.2);
  await eachLayer(async (layer) => {
    const what = { session, write, inTransaction };
    if (layer.createDb) {
      const expected = expectedWrite(layer.world, session, write);
      const db = layer.createDb(session, { includeDeleted: write.kind === 'restore' }) as unknown as Parameters<
        typeof runOrmWrite
      >[0] & {
        $transaction: (f: (tx: unknown) => Promise<unknown>) => Promise<unknown>;
      };
      const actual = await outcomeOf(() =>
        inTransaction ? db.$transaction((tx) => runOrmWrite(tx as never, write)) : runOrmWrite(db, write),
      );
      if (!sameOutcome(expected.outcome, actual)) fail(seed, index, layer.name, what, expected.outcome, actual);
      await checkState(seed, index, layer, what, expected.world);
      layer.world = expected.world;
    } else {
      const flat = flatten(write);
      const expected = expectedSql(layer.world, session, flat);
      const actual = await runSql(layer.app as never, context, flat);
      if (
        expected.outcome.ok !== actual.ok ||
        (actual.ok && expected.outcome.ok && actual.count !== expected.outcome.count)
      ) {
        fail(seed, index, layer.name, { session, sql: flat }, expected.outcome, actual);
      }
      await checkState(seed, index, layer, { session, sql: flat }, expected.world);
      layer.world = expected.world;
    }
  });
}

/** Runs `fn` on every layer at once; the first failure (in layer order) is reported. */
async function eachLayer(fn: (layer: Layer) => Promise<void>) {
  const results = await Promise.allSettled(layers.map(fn));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

it(`${CASES} random cases agree with the rules on layers ${LAYERS.join(', ')} (seed ${SEED})`, {
  timeout: 0,
}, async () => {
  const started = Date.now();
  const episodes = Math.ceil(CASES / EPISODE);
  let done = 0;
  for (let e = 0; e < episodes; e++) {
    const seed = SEED + e;
    const rng = new Rng(seed);
    const world = randomWorld(rng);
    for (const layer of layers) {
      await loadWorld(layer.owner, world);
      layer.world = cloneWorld(world);
    }
    for (let i = 0; i < EPISODE && done < CASES; i++, done++) {
      try {
        await runCase(seed, i, rng);
      } catch (err) {
        if (err instanceof CaseFailure) throw err;
        // A crash of the suite itself still says how to get back here.
        throw new Error(
          `policy-fuzz: case ${i} of episode seed ${seed} crashed (replay: POLICY_SEED=${seed} pnpm test:policy-fuzz): ${(err as Error).stack}`,
        );
      }
    }
    if (e % 50 === 49) console.log(`policy-fuzz: ${done} cases, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  console.log(
    `policy-fuzz: ${done} cases on ${LAYERS.join(', ')} from seed ${SEED}: 0 failures in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const layer of layers) {
    const c = layer.queryCache?.();
    if (c) console.log(`policy-fuzz: ${layer.name} query cache ${JSON.stringify(c)}`);
  }
  expect(done).toBe(CASES);
});
