/**
 * many users (issue 26, point 2): distinct sessions, each making one read,
 * with the query cache on and off (`createDb(s, { queryCache })`, the other
 * fast paths on), interleaved in blocks of 500 sessions on one database of
 * its own (no RLS: the cache's own cost). Two traffics (many-users-traffic.ts):
 * `uniform`, issue 26's USER sessions each reading a page of its clinic's
 * patients, and `mixed`, many templates and reads. Then the heap after
 * `heapSessions` more distinct sessions (the LRUs bound it). `pnpm bench`
 * runs it (bench/run.ts); alone: `node --import tsx bench/many-users.ts
 * [--users 10000] [--mixed 10000] [--heap-sessions 100000] [--clinics 200]`.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { QueryCacheStats } from '@acme/db';
import { readDbConfig } from '@acme/db/config';
import { DbRuntime } from '@acme/db/runtime';
import { startTestServer } from '../tests/support/postgres-server.ts';
import { createScratchDatabase, dropDatabase, withClient } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';
import { type Call, mixedCall, seedManyUsers, uniformCall } from './many-users-traffic.ts';
import { fmt, type Summary, summarize } from './stats.ts';

export interface ManyUsersOptions {
  users: number;
  mixed: number;
  heapSessions: number;
  clinics: number;
}
export const MANY_USERS_FULL: ManyUsersOptions = { users: 10_000, mixed: 10_000, heapSessions: 100_000, clinics: 200 };
export const MANY_USERS_QUICK: ManyUsersOptions = { users: 2_000, mixed: 2_000, heapSessions: 10_000, clinics: 200 };

interface Tally {
  calls: number;
  onMs: number;
  offMs: number;
  hits: number;
  misses: number;
  uncacheable: number;
  lookups: number;
}
export interface CacheComparison {
  sessions: number;
  /** Per read, createDb included. */
  on: Summary;
  off: Summary;
  /** on ÷ off: p50, and total time (the mean). */
  ratioP50: number;
  ratioMean: number;
  /** Cache hits ÷ lookups (hits, misses and known-uncacheable shapes) over the cache-on reads, %. */
  hitRate: number;
  hits: number;
  lookups: number;
  /** Per kind of read: calls, total ms each way, on ÷ off, hits and lookups. */
  byKind: Record<string, Tally & { ratio: number }>;
}
export interface ManyUsersResult {
  options: ManyUsersOptions;
  uniform: CacheComparison;
  mixed: CacheComparison;
  heap: {
    /** Distinct sessions that have read when the heap was taken (both traffics and the heap run). */
    sessions: number;
    /** heapUsed after a full collection, MiB: before the heap run, halfway, at its end. */
    mibBefore: number;
    mibHalfway: number;
    mibAfter: number;
    cache: QueryCacheStats;
  };
  seconds: number;
}

const BLOCK = 500;
const HEAP_WORKERS = 8;
const round2 = (x: number) => Math.round(x * 100) / 100;

// The run's own heap figure needs a full collection; --expose-gc is not on bench's command line.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMiB = () => {
  gc();
  return round2(process.memoryUsage().heapUsed / 2 ** 20);
};

async function compare(runtime: DbRuntime, n: number, callOf: (u: number) => Call): Promise<CacheComparison> {
  const lat = { on: [] as number[], off: [] as number[] };
  const byKind: Record<string, Tally> = {};
  for (let start = 0; start < n; start += BLOCK) {
    const calls = Array.from({ length: Math.min(BLOCK, n - start) }, (_, i) => callOf(start + i));
    for (const on of (start / BLOCK) % 2 === 0 ? [true, false] : [false, true]) {
      for (const call of calls) {
        byKind[call.kind] ??= { calls: 0, onMs: 0, offMs: 0, hits: 0, misses: 0, uncacheable: 0, lookups: 0 };
        const tally = byKind[call.kind] as Tally;
        const before = on ? runtime.poolStats().queryCache : undefined;
        const t = performance.now();
        await call.read(runtime.createDb(call.session, { queryCache: on }));
        const ms = performance.now() - t;
        lat[on ? 'on' : 'off'].push(ms);
        if (!before) {
          tally.offMs += ms;
          continue;
        }
        const after = runtime.poolStats().queryCache;
        tally.calls++;
        tally.onMs += ms;
        tally.hits += after.hits - before.hits;
        tally.misses += after.misses - before.misses;
        tally.uncacheable += after.uncacheable - before.uncacheable;
        tally.lookups += lookupsOf(after) - lookupsOf(before);
      }
    }
  }
  const on = summarize(lat.on);
  const off = summarize(lat.off);
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const hits = Object.values(byKind).reduce((s, k) => s + k.hits, 0);
  const lookups = Object.values(byKind).reduce((s, k) => s + k.lookups, 0);
  return {
    sessions: n,
    on,
    off,
    ratioP50: round2(on.p50 / off.p50),
    ratioMean: round2(sum(lat.on) / sum(lat.off)),
    hitRate: round2((100 * hits) / lookups),
    hits,
    lookups,
    byKind: Object.fromEntries(
      Object.entries(byKind).map(([k, t]) => [
        k,
        { ...t, onMs: round2(t.onMs), offMs: round2(t.offMs), ratio: round2(t.onMs / t.offMs) },
      ]),
    ),
  };
}

const lookupsOf = (s: QueryCacheStats) => s.hits + s.misses + s.uncacheable;

/** `heapSessions` further distinct sessions of the mixed traffic, cache on, HEAP_WORKERS at a time. */
async function heapRun(runtime: DbRuntime, from: number, count: number, clinics: number, halfway: () => void) {
  let next = from;
  const end = from + count;
  let half = false;
  await Promise.all(
    Array.from({ length: HEAP_WORKERS }, async () => {
      while (next < end) {
        const call = mixedCall(next++, clinics);
        await call.read(runtime.createDb(call.session));
        if (!half && next - from >= count / 2) {
          half = true;
          halfway();
        }
      }
    }),
  );
}

/** Both traffics and the heap run, on a scratch database of `serverUrl`'s server (dropped after). */
export async function manyUsers(
  serverUrl: string,
  options: ManyUsersOptions,
  log: (line: string) => void = () => {},
): Promise<ManyUsersResult> {
  const started = performance.now();
  const url = await createScratchDatabase(serverUrl, 'acme_bench_users');
  try {
    await deployMigrations(url, { quiet: true });
    await withClient(url, (c) => seedManyUsers(c, options.clinics));
    const runtime = new DbRuntime(readDbConfig({ DATABASE_URL: url }));
    try {
      log(`[many users] uniform: ${options.users} distinct USER sessions`);
      const uniform = await compare(runtime, options.users, (u) => uniformCall(u, options.clinics));
      log(`[many users] mixed: ${options.mixed} distinct sessions, several templates and reads`);
      // Its own user numbers: no session of one traffic is a session of the other.
      const mixed = await compare(runtime, options.mixed, (u) => mixedCall(u, options.clinics));
      log(`[many users] heap: ${options.heapSessions} more distinct sessions`);
      const mibBefore = heapMiB();
      let mibHalfway = Number.NaN;
      await heapRun(runtime, options.mixed, options.heapSessions, options.clinics, () => {
        mibHalfway = heapMiB();
      });
      const heap = {
        sessions: options.users + options.mixed + options.heapSessions,
        mibBefore,
        mibHalfway,
        mibAfter: heapMiB(),
        cache: runtime.poolStats().queryCache,
      };
      return { options, uniform, mixed, heap, seconds: Math.round((performance.now() - started) / 1000) };
    } finally {
      await runtime.close();
    }
  } finally {
    await dropDatabase(url).catch(() => {});
  }
}

/** The result as text: one line per traffic, the mixed traffic's reads, the heap. */
export function describeManyUsers(r: ManyUsersResult): string[] {
  const line = (name: string, c: CacheComparison) =>
    `${name.padEnd(18)} ${String(c.sessions).padStart(6)} sessions  cache on p50 ${fmt(c.on.p50).padStart(8)}  off ${fmt(c.off.p50).padStart(8)}  on ÷ off p50 ${c.ratioP50.toFixed(2)}, total ${c.ratioMean.toFixed(2)}  hit rate ${c.hitRate.toFixed(2)} % (${c.hits}/${c.lookups})`;
  const kinds = Object.entries(r.mixed.byKind).map(
    ([k, t]) =>
      `  ${k.padEnd(12)} ${String(t.calls).padStart(5)} calls  on ÷ off ${t.ratio.toFixed(2)}  hits ${t.hits}/${t.lookups}, misses ${t.misses}, known uncacheable ${t.uncacheable}`,
  );
  const h = r.heap;
  return [
    line('many users', r.uniform),
    line('many users, mixed', r.mixed),
    ...kinds,
    `heap after ${h.sessions.toLocaleString('en-US')} distinct sessions: ${h.mibAfter} MiB (before the last ${r.options.heapSessions.toLocaleString('en-US')}: ${h.mibBefore} MiB, halfway: ${h.mibHalfway} MiB); cache ${h.cache.size}/${h.cache.max} entries`,
  ];
}

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      users: { type: 'string' },
      mixed: { type: 'string' },
      'heap-sessions': { type: 'string' },
      clinics: { type: 'string' },
    },
  });
  const d = MANY_USERS_FULL;
  const options: ManyUsersOptions = {
    users: Number(values.users ?? d.users),
    mixed: Number(values.mixed ?? d.mixed),
    heapSessions: Number(values['heap-sessions'] ?? d.heapSessions),
    clinics: Number(values.clinics ?? d.clinics),
  };
  const server = process.env.DATABASE_URL ? undefined : await startTestServer();
  try {
    const r = await manyUsers(process.env.DATABASE_URL ?? (server?.url as string), options, console.log);
    for (const l of describeManyUsers(r)) console.log(l);
  } finally {
    await server?.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  await main();
  process.exit(0);
}
