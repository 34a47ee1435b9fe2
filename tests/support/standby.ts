/**
 * A primary with a real streaming standby, for the read-replica tests and
 * bench. Servers come from the same embedded PostgreSQL 18 binaries as
 * postgres-server.ts (Debian's PostgreSQL 15 pg_basebackup cannot copy an 18
 * server, and the npm package ships no pg_basebackup): the primary's data
 * directory is copied while it is stopped, with a physical replication slot
 * already in it, and the copy starts as a hot standby (`standby.signal`,
 * `primary_conninfo`) that streams from the slot.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withClient } from '../../tooling/database.ts';
import { freePort, type RunningPostgres, startEmbeddedPostgres } from '../../tooling/postgres/embedded.ts';
import { isAlive, postmasterPid, serverOsUser } from '../../tooling/postgres/process.ts';

export interface Standby {
  /** Superuser URL of the standby's `postgres` database. */
  url: string;
  /** The server alone, as DATABASE_REPLICA_URLS names it: postgresql://127.0.0.1:<port>. */
  serverUrl: string;
  /** Immediate shutdown (SIGQUIT to the postmaster): sessions cut off, no checkpoint, like a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port; it recovers and resumes streaming. */
  start(): Promise<void>;
  /** Its server log so far (log_statement = all: every statement it was sent). */
  log(): string;
}

export interface ReplicatedCluster {
  primary: RunningPostgres;
  standby: Standby;
  stop(): Promise<void>;
}

const SLOT = 'acme_standby';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startReplicatedCluster(): Promise<ReplicatedCluster> {
  const base = mkdtempSync(path.join(tmpdir(), 'acme-replicas-'));
  chmodSync(base, 0o755); // as root the servers run as `postgres`, which must reach both data directories
  const primaryDir = path.join(base, 'primary');
  const standbyDir = path.join(base, 'standby');
  const password = randomBytes(12).toString('hex');
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const start = (dataDir: string, port: number) =>
    startEmbeddedPostgres({ dataDir, persistent: true, port, password, fast: true });

  let primary = await start(primaryDir, primaryPort);
  await withClient(primary.url, (c) => c.query(`SELECT pg_create_physical_replication_slot('${SLOT}')`));
  await primary.stop();
  execFileSync('cp', ['-a', primaryDir, standbyDir]);
  rmSync(path.join(standbyDir, 'server.log'), { force: true });
  const user = serverOsUser();
  const own = (file: string) => user && chownSync(file, user.uid, user.gid);
  writeFileSync(path.join(standbyDir, 'standby.signal'), '');
  own(path.join(standbyDir, 'standby.signal'));
  appendFileSync(
    path.join(standbyDir, 'postgresql.auto.conf'),
    [
      `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres password=${password} application_name=acme_standby'`,
      `primary_slot_name = '${SLOT}'`,
      "log_statement = 'all'",
      '',
    ].join('\n'),
  );

  primary = await start(primaryDir, primaryPort);
  let standbyServer = await start(standbyDir, standbyPort);
  await waitForStreaming(primary.url);

  const standby: Standby = {
    url: standbyServer.url,
    serverUrl: `postgresql://127.0.0.1:${standbyPort}`,
    async kill() {
      const pid = postmasterPid(standbyDir);
      if (!pid) return;
      process.kill(pid, 'SIGQUIT');
      while (isAlive(pid)) await sleep(20);
    },
    async start() {
      standbyServer = await start(standbyDir, standbyPort);
      await waitForStreaming(primary.url);
    },
    log: () => readFileSync(path.join(standbyDir, 'server.log'), 'utf8'),
  };
  return {
    primary,
    standby,
    async stop() {
      await standbyServer.stop().catch(() => {});
      await primary.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Until the standby streams from the primary (not merely started): replication is then live. */
async function waitForStreaming(primaryUrl: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { rows } = await withClient(primaryUrl, (c) =>
      c.query("SELECT 1 FROM pg_stat_replication WHERE application_name = 'acme_standby' AND state = 'streaming'"),
    );
    if (rows.length > 0) return;
    await sleep(50);
  }
  throw new Error('the standby did not start streaming within 30 s');
}
