import diagnostics from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import pg from 'pg';
import { scrubSecret } from '../pool.ts';
import { formatLsn, parseLsn } from './lsn.ts';
import type { ReplicaFault } from './replica-faults.ts';
import { onServer, serverName } from './replica-urls.ts';
import { WriteLsns } from './write-lsns.ts';

export interface ReplicaSetOptions {
  /** The standbys, as servers (see replica-urls.ts). */
  servers: string[];
  /** The most staleness a replica read may see (DB_REPLICA_MAX_LAG_MS). */
  maxLagMs: number;
  /** A role URL on the primary: the health probes use it there and, pointed at each standby, there. */
  probeUrl: string;
  /** Where problems go (once per incident); console.warn by default. */
  warn?: (line: string) => void;
}

export type ServerState = 'starting' | 'up' | 'down' | 'not-in-recovery';

/** One standby as the router sees it. `generation` moves when it goes down: pools on it are replaced. */
export class ReplicaServer {
  readonly name: string;
  state: ServerState = 'starting';
  replayLsn: bigint | null = null;
  reads = 0;
  generation = 0;
  readonly lastWarned = new Map<ReplicaFault, number>();
  constructor(readonly url: string) {
    this.name = serverName(url);
  }
}

/** What the diagnostics channel and NODE_DEBUG=acme-db-replicas report per statement. */
export interface RoutedStatement {
  server: string;
  replica: boolean;
  kind: 'read' | 'write' | 'transaction';
  /** Why a read went to the primary, or `replica`. */
  reason: 'replica' | 'requested' | 'not-caught-up' | 'no-replica' | 'replica-failed' | 'write' | 'transaction';
  /** For replica reads: what the standby itself said just before running it. */
  inRecovery?: boolean;
  replayLsn?: string;
}

export const ROUTED_CHANNEL = 'acme-db:replicas';
const channel = diagnostics.channel(ROUTED_CHANNEL);
const debug = debuglog('acme-db-replicas');
const PROBE = 'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay';
/** The monitor stops after this long without a routed read; the next read starts it again. */
const IDLE_MS = 10_000;
const WARN_EVERY_MS = 60_000;

/**
 * The standbys behind one primary, their health and how far behind they are,
 * shared by every driver that routes over them (src/driver/).
 *
 * Staleness is measured against the primary, not a replica's clock: every
 * `intervalMs` the monitor notes the primary's WAL insert position with the
 * time it asked. A replica whose replay position R has passed the position
 * noted at time t has applied every commit made before t, so its reads are at
 * most `now - t` old. An idle primary keeps its position, so an idle replica
 * is not "lagging"; a replica that stopped replaying while the primary writes
 * ages out after maxLagMs. Routing uses the last R seen (by the monitor or by
 * the probe before every replica statement), which only understates progress.
 */
export class ReplicaSet {
  readonly servers: ReplicaServer[];
  readonly lsns = new WriteLsns();
  readonly intervalMs: number;
  primaryReads = 0;
  primaryWrites = 0;
  private samples: { at: number; lsn: bigint }[] = [];
  private nextServer = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastActivity = 0;
  private closed = false;
  private readonly probes = new Map<string, pg.Client>();
  private readonly warn: (line: string) => void;

  constructor(private readonly options: ReplicaSetOptions) {
    this.servers = options.servers.map((url) => new ReplicaServer(url));
    this.intervalMs = Math.min(250, Math.max(20, Math.floor(options.maxLagMs / 4)));
    this.warn = options.warn ?? ((line) => console.warn(`[@acme/db] ${line}`));
  }

  /** A replica that may serve a read that must see `minLsn`, round-robin; undefined: use the primary. */
  pick(minLsn: bigint): ReplicaServer | undefined {
    this.touch();
    const now = performance.now();
    const n = this.servers.length;
    for (let k = 0; k < n; k++) {
      const index = (this.nextServer + k) % n;
      const server = this.servers[index] as ReplicaServer;
      if (server.state === 'up' && this.fresh(server.replayLsn, minLsn, now)) {
        this.nextServer = (index + 1) % n;
        return server;
      }
    }
    return undefined;
  }

  /** Whether a snapshot at `replayLsn` has `minLsn` and is no older than maxLagMs. */
  fresh(replayLsn: bigint | null, minLsn: bigint, now = performance.now()): boolean {
    return replayLsn !== null && replayLsn >= minLsn && this.staleness(replayLsn, now) <= this.options.maxLagMs;
  }

  /** How old, at most, a snapshot at `replayLsn` is, in ms (Infinity: not known yet). */
  staleness(replayLsn: bigint, now = performance.now()): number {
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const sample = this.samples[i] as { at: number; lsn: bigint };
      if (sample.lsn <= replayLsn) return now - sample.at;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** The standby's own word, read in the transaction of a statement it just ran. */
  noteReplay(server: ReplicaServer, replayLsn: bigint | null): void {
    if (server.state === 'up') server.replayLsn = replayLsn;
  }

  served(event: RoutedStatement, server?: ReplicaServer): void {
    if (server) server.reads++;
    else if (event.kind === 'read') this.primaryReads++;
    else this.primaryWrites++;
    if (channel.hasSubscribers) channel.publish(event);
    if (debug.enabled)
      debug('%s %s on %s (%s)', event.kind, event.replica ? 'replica' : 'primary', event.server, event.reason);
  }

  /**
   * A replica failed: stop using it if it is down, and say so once. `generation`
   * is the server's when the failing connection was taken: a failure from before
   * the server last went down belongs to that incident, not a new one.
   */
  fault(server: ReplicaServer, fault: ReplicaFault, err: unknown, generation = server.generation): void {
    if (generation !== server.generation || this.closed) return;
    const detail = this.describe(server, err);
    if (fault === 'down' || fault === 'not-in-recovery') {
      if (server.state === fault) return;
      server.state = fault;
      server.replayLsn = null;
      server.generation++;
      this.warn(
        fault === 'down'
          ? `replica ${server.name} is unavailable (${detail}): its reads go to the primary until it answers again`
          : `replica ${server.name} is no longer in recovery (promoted?): it gets no reads while it is not a standby`,
      );
      return;
    }
    const now = Date.now();
    if (now - (server.lastWarned.get(fault) ?? -WARN_EVERY_MS) < WARN_EVERY_MS) return;
    server.lastWarned.set(fault, now);
    this.warn(
      fault === 'conflict'
        ? `replica ${server.name}: a read was cancelled by a recovery conflict (${detail}) and re-run on the primary; more are not logged for a minute`
        : `replica ${server.name} refused a statement as a write (${detail}); it was re-run on the primary`,
    );
  }

  /** Starts the monitor if it is not running (it stops itself when reads stop). */
  touch(): void {
    this.lastActivity = performance.now();
    if (!this.timer && !this.closed) {
      this.timer = setTimeout(() => void this.tick(), 0);
      this.timer.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.endProbes();
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    if (performance.now() - this.lastActivity > IDLE_MS) {
      this.timer = undefined;
      await this.endProbes();
      return;
    }
    await this.samplePrimary();
    if (this.closed) return;
    await Promise.all(this.servers.map((server) => this.probe(server)));
    if (this.closed) return await this.endProbes(); // closed meanwhile: no probe connection outlives close()
    this.timer = setTimeout(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private async samplePrimary(): Promise<void> {
    const at = performance.now(); // before asking: every commit before `at` is at or below the answer
    try {
      const { rows } = await (await this.probeClient('primary', this.options.probeUrl)).query(
        'SELECT pg_current_wal_insert_lsn()::text AS lsn',
      );
      this.samples.push({ at, lsn: parseLsn(rows[0].lsn) });
      const keepAfter = at - this.options.maxLagMs - 4 * this.intervalMs;
      while (this.samples.length > 1 && (this.samples[0] as { at: number }).at < keepAfter) this.samples.shift();
    } catch {
      this.dropProbe('primary');
    }
  }

  private async probe(server: ReplicaServer): Promise<void> {
    const url = onServer(this.options.probeUrl, server.url);
    const generation = server.generation;
    try {
      const { rows } = await (await this.probeClient(server.name, url)).query(PROBE);
      // Asked before the server went down: this answer says nothing about now.
      if (generation !== server.generation) return;
      const { standby, replay } = rows[0] as { standby: boolean; replay: string | null };
      if (!standby) return this.fault(server, 'not-in-recovery', undefined);
      if (server.state !== 'up') {
        if (server.state !== 'starting') this.warn(`replica ${server.name} answers again and is back in use`);
        server.state = 'up';
      }
      server.replayLsn = replay === null ? null : parseLsn(replay);
    } catch (err) {
      this.dropProbe(server.name);
      this.fault(server, 'down', err, generation);
    }
  }

  private async probeClient(key: string, url: string): Promise<pg.Client> {
    let client = this.probes.get(key);
    if (this.closed) throw new Error('replica monitor closed');
    if (!client) {
      // Generous: a probe that times out takes the replica out of use, and a loaded host is not a dead one.
      const timeout = Math.max(5_000, 4 * this.intervalMs);
      client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeout, query_timeout: timeout });
      client.on('error', () => this.dropProbe(key));
      this.probes.set(key, client);
      await client.connect();
    }
    return client;
  }

  private dropProbe(key: string): void {
    const client = this.probes.get(key);
    this.probes.delete(key);
    client?.end().catch(() => {});
  }

  private async endProbes(): Promise<void> {
    const clients = [...this.probes.values()];
    this.probes.clear();
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }

  private describe(server: ReplicaServer, err: unknown): string {
    if (!(err instanceof Error)) return 'no detail';
    const code = (err as { code?: string }).code;
    const clean = scrubSecret(new Error(err.message), onServer(this.options.probeUrl, server.url)).message;
    return `${code ? `${code}: ` : ''}${clean}`;
  }

  /** Per replica, for poolStats(). */
  replicaState(server: ReplicaServer): { state: ServerState; lagMs: number | null; replayLsn: string | null } {
    const lag = server.replayLsn === null ? Number.POSITIVE_INFINITY : this.staleness(server.replayLsn);
    return {
      state: server.state,
      lagMs: Number.isFinite(lag) ? Math.round(lag) : null,
      replayLsn: server.replayLsn === null ? null : formatLsn(server.replayLsn),
    };
  }
}
