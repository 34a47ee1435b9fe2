/**
 * Read replicas with a real streaming standby: what runs where, row-level
 * security there, read-your-writes while replay is paused, the lag cap.
 */
import { parseSessionUser } from '@acme/auth';
import { sql } from 'kysely';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readDbConfig } from '../../src/config.ts';
import { createDb, createSystemDb, minLsnOf, poolStats } from '../../src/index.ts';
import { DbRuntime } from '../../src/runtime.ts';
import { withClient } from '../../tooling/database.ts';
import { dec, SESSIONS, uid } from '../support/fixtures.ts';
import { arrangeTenancy } from '../support/tenancy.ts';
import { caughtUp, onStandby, replicatedDb, routed, untilReplicaServes } from './replicated-db.ts';

const db = replicatedDb();
const runtimes: DbRuntime[] = [];
/** Another process's view: its own pools and no memory of this one's writes. */
const otherProcess = (env: Record<string, string> = {}) => {
  const runtime = new DbRuntime(readDbConfig({ ...process.env, ...env }));
  runtimes.push(runtime);
  return runtime;
};
afterAll(async () => {
  await onStandby(db, 'SELECT pg_wal_replay_resume()').catch(() => {});
  for (const r of runtimes) await r.close();
});

const replicaStats = () => poolStats()?.servers?.find((s) => s.replica);
const writePattern = /\b(insert\s+into|update\s+"|delete\s+from|merge\s+into)/i;

describe('read replicas', () => {
  it('answers a read outside a transaction from the standby, which says it is in recovery', async () => {
    const clinic = await db.raw.clinic.create({ data: { name: uid('Clinic'), code: uid('C') } });
    await caughtUp(db);
    const user = createDb(SESSIONS.user);
    await untilReplicaServes(() => user.clinic.findMany());
    const before = replicaStats()?.reads ?? 0;

    const { value, statements } = await routed(() => user.clinic.findUnique({ where: { id: clinic.id } }));

    expect(value?.code).toBe(clinic.code);
    expect(statements).toEqual([expect.objectContaining({ kind: 'read', replica: true, inRecovery: true })]);
    expect(replicaStats()).toMatchObject({ server: new URL(db.cluster.standby.serverUrl).host, state: 'up' });
    expect(replicaStats()?.reads).toBe(before + 1);
    // On the standby the statement ran in a read-only transaction that carried the session.
    expect(db.cluster.standby.log()).toMatch(/BEGIN READ ONLY; SELECT set_config\('acme\.auth', '\{"id":"user-1"/);
  });

  it('sends every write, every transaction and every data-modifying statement to the primary only', async () => {
    const admin = createDb(SESSIONS.admin);
    const system = createSystemDb('replica-test');
    const { value, statements } = await routed(async () => {
      const clinic = await admin.clinic.create({ data: { name: uid('Clinic'), code: uid('W') } });
      await admin.clinic.update({ where: { id: clinic.id }, data: { name: uid('Renamed') } });
      await admin.clinic.upsert({
        where: { code: 'upserted-code' },
        create: { name: 'Upserted', code: 'upserted-code' },
        update: { name: 'Upserted again' },
      });
      await admin.treatment.createMany({ data: [{ name: uid('T'), price: dec('10.00') }] });
      await admin.$transaction(async (tx) => {
        await tx.clinic.findMany({ take: 1 }); // a read inside a transaction stays with it
        await tx.clinic.update({ where: { id: clinic.id }, data: { name: uid('In tx') } });
      });
      const doomed = await system.clinic.create({ data: { name: uid('Doomed'), code: uid('D') } });
      // A SELECT at the top, a DELETE inside, outside any transaction: the SQL that runs decides.
      const cte = await routed(() =>
        sql<{ id: string }>`
          WITH gone AS (DELETE FROM "Clinic" WHERE id = ${doomed.id} RETURNING id) SELECT id FROM gone
        `.execute(system.$qb),
      );
      expect(cte.value.rows).toEqual([{ id: doomed.id }]);
      expect(cte.statements).toEqual([expect.objectContaining({ kind: 'write', replica: false, reason: 'write' })]);
      await admin.clinic.delete({ where: { id: clinic.id } });
      return { clinic, doomed };
    });

    expect(statements.filter((s) => s.kind !== 'read').length).toBeGreaterThanOrEqual(8);
    expect(statements.filter((s) => s.replica).map((s) => s.kind)).not.toContain('write');
    expect(statements.every((s) => s.replica === false || s.kind === 'read')).toBe(true);
    // The standby was sent no data-modifying statement at all, and refused none.
    await caughtUp(db);
    const log = db.cluster.standby.log();
    expect(log.split('\n').filter((line) => /statement:|execute/.test(line) && writePattern.test(line))).toEqual([]);
    expect(log).not.toMatch(/read-only transaction/);
    expect(await db.raw.clinic.count({ where: { code: 'upserted-code' } })).toBe(1);
    expect(await db.raw.clinic.findUnique({ where: { id: value.doomed.id } })).toBeNull();
  });

  it('re-runs on the primary a write the SQL text hides (a function that writes), and warns once', async () => {
    await withClient(db.url, async (c) => {
      await c.query('CREATE TABLE replica_touch (n int)');
      await c.query(
        "CREATE FUNCTION replica_touch() RETURNS int LANGUAGE sql AS 'INSERT INTO replica_touch VALUES (1) RETURNING n'",
      );
    });
    await caughtUp(db);
    const system = createSystemDb('replica-touch');
    await untilReplicaServes(() => system.clinic.findMany({ take: 1 }));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      for (let i = 0; i < 3; i++) {
        const { value, statements } = await routed(() =>
          sql<{ n: number }>`SELECT replica_touch() AS n`.execute(system.$qb),
        );
        expect(value.rows).toEqual([{ n: 1 }]);
        expect(statements).toEqual([
          expect.objectContaining({ kind: 'read', replica: false, reason: 'replica-failed' }),
        ]);
      }
      expect(warn.mock.calls.map(String).filter((w) => /refused a statement as a write/.test(w))).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
    const { rows } = await withClient(db.url, (c) => c.query('SELECT count(*)::int AS n FROM replica_touch'));
    expect(rows[0].n).toBe(3); // each ran once where it could write: on the primary
    expect(replicaStats()?.state).toBe('up'); // a refused write says nothing about the replica's health
  });

  it('reads from the primary when asked to, for that client only', async () => {
    const session = parseSessionUser(SESSIONS.user); // one validated session object for both clients
    const onReplica = createDb(session);
    await untilReplicaServes(() => onReplica.clinic.findMany({ take: 1 }));
    const primary = await routed(() => createDb(session, { primary: true }).clinic.findMany({ take: 1 }));
    expect(primary.statements).toEqual([
      expect.objectContaining({ kind: 'read', replica: false, reason: 'requested' }),
    ]);
    const replica = await routed(() => createDb(session).clinic.findMany({ take: 1 }));
    expect(replica.statements).toEqual([expect.objectContaining({ kind: 'read', replica: true })]);
  });

  it('enforces row-level security on the standby: the same rows as on the primary, and no more', async () => {
    const t = await arrangeTenancy(db.raw);
    await caughtUp(db);
    for (const name of ['staffA', 'staffB', 'admin', 'anonymous'] as const) {
      const session = t.sessions[name];
      const onPrimary = await createDb(session, { primary: true }).patient.findMany({ orderBy: { id: 'asc' } });
      const replica = createDb(session);
      await untilReplicaServes(() => replica.clinic.findMany({ take: 1 }));
      const { value, statements } = await routed(() => replica.patient.findMany({ orderBy: { id: 'asc' } }));
      expect(statements.map((s) => s.replica)).toEqual([true]);
      expect(value).toEqual(onPrimary);
    }
    const ids = async (name: 'staffA' | 'anonymous') =>
      (await createDb(t.sessions[name]).patient.findMany()).map((p) => p.id);
    expect(await ids('staffA')).toEqual([t.patientA.id]);
    expect(await ids('anonymous')).toEqual([]);
  });

  it('reads its own writes while the standby is paused, and carries that across processes as an LSN', async () => {
    const admin = createDb(SESSIONS.admin);
    await untilReplicaServes(() => admin.clinic.findMany({ take: 1 }));
    await onStandby(db, 'SELECT pg_wal_replay_pause()');
    try {
      const clinic = await admin.clinic.create({ data: { name: uid('Fresh'), code: uid('F') } });
      const lsn = minLsnOf(admin);
      expect(lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);

      const own = await routed(() => admin.clinic.findUnique({ where: { id: clinic.id } }));
      expect(own.value?.id).toBe(clinic.id);
      expect(own.statements).toEqual([expect.objectContaining({ replica: false, reason: 'no-replica' })]);
      // Someone else may read the standby's older state (within the lag cap): that is what a replica is.
      const other = await routed(() => createDb(SESSIONS.user).clinic.findUnique({ where: { id: clinic.id } }));
      expect(other.statements.map((s) => s.replica)).toEqual([true]);
      expect(other.value).toBeNull();
      // The next request, in another process, passes the LSN back: it reads the write too.
      const next = otherProcess().createDb(SESSIONS.user, { minLsn: lsn as string });
      expect((await next.clinic.findUnique({ where: { id: clinic.id } }))?.id).toBe(clinic.id);
    } finally {
      await onStandby(db, 'SELECT pg_wal_replay_resume()');
    }
    // Once the standby has replayed the write, the writer's reads go back to it.
    await untilReplicaServes(() => admin.clinic.findMany({ take: 1 }));
  });

  it('refuses a malformed minLsn with a clear error', () => {
    expect(() => createDb(SESSIONS.user, { minLsn: "0/1'; DROP TABLE x" })).toThrow(/minLsn must be a PostgreSQL LSN/);
  });

  it('gives no reads to a standby lagging past DB_REPLICA_MAX_LAG_MS until it catches up', async () => {
    const runtime = otherProcess({ DB_REPLICA_MAX_LAG_MS: '300' });
    const reader = runtime.createDb(SESSIONS.support);
    const where = () => ({ where: { code: 'lag-probe' } });
    await untilReplicaServes(() => reader.clinic.findMany(where()));
    await onStandby(db, 'SELECT pg_wal_replay_pause()');
    try {
      await db.raw.clinic.create({ data: { name: 'Lag probe', code: 'lag-probe' } }); // the primary moves on
      await expect
        .poll(async () => (await routed(() => reader.clinic.findMany(where()))).statements[0]?.replica, {
          timeout: 5_000,
          interval: 50,
        })
        .toBe(false);
      // From then on, every read comes from the primary and sees the new row.
      for (let i = 0; i < 5; i++) {
        const { value, statements } = await routed(() => reader.clinic.findMany(where()));
        expect(statements).toEqual([expect.objectContaining({ replica: false, reason: 'no-replica' })]);
        expect(value.map((c) => c.code)).toEqual(['lag-probe']);
      }
      const lagging = runtime.poolStats().servers?.find((s) => s.replica);
      expect(lagging?.lagMs === null || (lagging?.lagMs ?? 0) > 300).toBe(true);
    } finally {
      await onStandby(db, 'SELECT pg_wal_replay_resume()');
    }
    await untilReplicaServes(() => reader.clinic.findMany(where()));
    expect((await reader.clinic.findMany(where())).map((c) => c.code)).toEqual(['lag-probe']);
  });
});
