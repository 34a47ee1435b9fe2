/**
 * A throwaway primary with a real streaming standby, for the read-replica
 * tests and bench: the same embedded PostgreSQL 18 as postgres-server.ts,
 * and the standby from tooling/postgres/standby.ts (a live base backup, the
 * way `pnpm db:dev --standby` makes one), which logs every statement it is
 * sent.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningPostgres, startEmbeddedPostgres } from '../../tooling/postgres/embedded.ts';
import { startStandby, type Standby as ToolingStandby } from '../../tooling/postgres/standby.ts';

export interface Standby extends Pick<ToolingStandby, 'url' | 'serverUrl' | 'kill' | 'start'> {
  /** Its server log so far (log_statement = all: every statement it was sent). */
  log(): string;
}

export interface ReplicatedCluster {
  primary: RunningPostgres;
  standby: Standby;
  stop(): Promise<void>;
}

export async function startReplicatedCluster(): Promise<ReplicatedCluster> {
  const base = mkdtempSync(path.join(tmpdir(), 'acme-replicas-'));
  chmodSync(base, 0o755); // as root the servers run as `postgres`, which must reach both data directories
  const primaryDir = path.join(base, 'primary');
  const password = randomBytes(12).toString('hex');
  const primary = await startEmbeddedPostgres({ dataDir: primaryDir, persistent: true, password, fast: true });
  try {
    const standby = await startStandby({
      primaryUrl: primary.url,
      primaryDir,
      dataDir: path.join(base, 'standby'),
      password,
      name: 'acme_standby',
      settings: ["log_statement = 'all'"],
      fast: true,
    });
    return {
      primary,
      standby: {
        url: standby.url,
        serverUrl: standby.serverUrl,
        kill: () => standby.kill(),
        start: () => standby.start(),
        log: () => readFileSync(path.join(standby.dataDir, 'server.log'), 'utf8'),
      },
      async stop() {
        await standby.stop().catch(() => {});
        await primary.stop();
        rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await primary.stop();
    rmSync(base, { recursive: true, force: true });
    throw err;
  }
}
