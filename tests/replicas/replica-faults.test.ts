/**
 * Read replicas under faults, with a real standby: killed mid-run (no request
 * fails, no write is lost), back in use once it recovers, and a replica that
 * refuses connections from the start. Warnings are read from console.warn.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readDbConfig } from '../../src/config.ts';
import { createDb, createSystemDb, minLsnOf, poolStats } from '../../src/index.ts';
import { DbRuntime } from '../../src/runtime.ts';
import { withClient } from '../../tooling/database.ts';
import { freePort } from '../../tooling/postgres/embedded.ts';
import { SESSIONS, uid } from '../support/fixtures.ts';
import { caughtUp, onStandby, replicatedDb, routed, untilReplicaServes } from './replicated-db.ts';

const db = replicatedDb();
let warnings: string[] = [];
beforeEach(() => {
  warnings = [];
  vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void warnings.push(String(line)));
});
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  await runtime?.close();
});
let runtime: DbRuntime | undefined;

const password = () => new URL(process.env.DATABASE_URL as string).password;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('read replicas under faults', () => {
  it('re-runs on the primary a read that a recovery conflict cancelled on the standby', async () => {
    await db.raw.clinic.createMany({
      data: Array.from({ length: 3_000 }, (_, i) => ({ name: `Conflict ${i}`, code: uid(`conflict-${i}`) })),
    });
    await caughtUp(db);
    // No grace period: replaying a lock the standby's readers hold cancels them at once.
    await onStandby(db, 'ALTER SYSTEM SET max_standby_streaming_delay = 0');
    await onStandby(db, 'SELECT pg_reload_conf()');
    const reader = createDb(SESSIONS.support);
    await untilReplicaServes(() => reader.clinic.findMany({ take: 1 }));
    let stop = false;
    // Each ACCESS EXCLUSIVE lock taken on the primary is replayed on the standby, against the readers there.
    const locker = withClient(db.url, async (c) => {
      while (!stop) await c.query('BEGIN; LOCK TABLE "Clinic" IN ACCESS EXCLUSIVE MODE; COMMIT');
    });
    try {
      const failures: unknown[] = [];
      for (let i = 0; i < 200 && !warnings.some((w) => /recovery conflict/.test(w)); i++) {
        const rows = await reader.clinic.findMany({ select: { id: true } }).catch((err) => void failures.push(err));
        if (rows) expect(rows.length).toBeGreaterThanOrEqual(3_000);
      }
      expect(failures).toEqual([]);
      expect(warnings.filter((w) => /recovery conflict/.test(w))).toHaveLength(1);
      expect(poolStats()?.servers?.find((s) => s.replica)?.state).toBe('up'); // a conflict is not an outage
    } finally {
      stop = true;
      await locker;
      await onStandby(db, 'ALTER SYSTEM RESET max_standby_streaming_delay');
      await onStandby(db, 'SELECT pg_reload_conf()');
    }
  });

  it('loses no request and no write when the standby is killed mid-run', async () => {
    const user = createDb(SESSIONS.user);
    await untilReplicaServes(() => user.clinic.findMany({ take: 5 }));
    const created: string[] = [];
    const failures: unknown[] = [];
    let replicaReads = 0;
    let stop = false;
    const worker = async (w: number) => {
      const writer = createSystemDb(`replica-fault-${w}`);
      const reader = createDb({ id: `reader-${w}`, role: 'USER' });
      while (!stop) {
        try {
          const clinic = await writer.clinic.create({ data: { name: uid('Kill'), code: uid('K') } });
          created.push(clinic.id);
          // Its own write, read back through the router: never missing, whichever server answers.
          const back = await writer.clinic.findUnique({ where: { id: clinic.id } });
          if (back?.id !== clinic.id) failures.push(new Error(`own write ${clinic.id} not read back`));
          const { statements } = await routed(() => reader.clinic.findMany({ take: 10, orderBy: { code: 'asc' } }));
          replicaReads += statements.filter((s) => s.replica).length;
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    await expect.poll(() => replicaReads, { timeout: 10_000, interval: 20 }).toBeGreaterThan(10);
    await db.cluster.standby.kill();
    const killedAt = created.length;
    await expect.poll(() => created.length, { timeout: 10_000, interval: 20 }).toBeGreaterThan(killedAt + 40);
    stop = true;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(await db.raw.clinic.count({ where: { id: { in: created } } })).toBe(created.length);
    const down = warnings.filter((w) => /replica .* is unavailable/.test(w));
    expect(down).toHaveLength(1);
    expect(down[0]).not.toContain(password());
    expect(poolStats()?.servers?.find((s) => s.replica)?.state).toBe('down');
    const { statements } = await routed(() => user.clinic.findMany({ take: 1 }));
    expect(statements).toEqual([expect.objectContaining({ replica: false, reason: 'no-replica' })]);
  });

  it('puts the standby back in use once it recovers', async () => {
    await db.cluster.standby.start();
    const user = createDb(SESSIONS.user);
    await untilReplicaServes(() => user.clinic.findMany({ take: 1 }));
    expect(warnings.filter((w) => /is back in use/.test(w))).toHaveLength(1);
    // Everything written while it was down is there, through the replica.
    const writer = createSystemDb('replica-fault-0');
    const last = await writer.clinic.findFirst({ orderBy: { code: 'desc' } });
    expect(last).not.toBeNull();
    expect(minLsnOf(writer)).not.toBeNull();
  });

  it('reads from the primary, and warns once, when a replica refuses connections from the start', async () => {
    const nobody = `postgresql://127.0.0.1:${await freePort()}`;
    runtime = new DbRuntime(readDbConfig({ ...process.env, DATABASE_REPLICA_URLS: nobody }));
    const user = runtime.createDb(SESSIONS.user);
    for (let i = 0; i < 20; i++) {
      const { value, statements } = await routed(() => user.clinic.findMany({ take: 1 }));
      expect(value).toHaveLength(1);
      expect(statements.map((s) => s.replica)).toEqual([false]);
      await sleep(10);
    }
    expect(warnings.filter((w) => w.includes(new URL(nobody).host))).toHaveLength(1);
    expect(warnings.join('\n')).not.toContain(password());
    expect(runtime.poolStats().servers?.find((s) => s.replica)?.state).toBe('down');
  });
});
