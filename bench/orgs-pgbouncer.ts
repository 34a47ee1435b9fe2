/**
 * bench:orgs `--parts pgbouncer`: the same point reads with one PgBouncer (1.18, transaction mode, a wildcard
 * database entry) between the process and the server; the organizations' URLs point at it. Two settings:
 * - `bounded`: `max_user_connections` = the app's cap, so the server holds no more than without PgBouncer;
 *   PgBouncer closes an idle server connection only after `server_idle_timeout`, never to make room (its docs),
 *   so the timeout is set low (1 s) or a pool of a new database would wait 600 s.
 * - `unbounded`: no server-side limit (`default_pool_size` 1): what the server holds when PgBouncer keeps one
 *   connection per database it was asked for (needs max_connections above the databases visited).
 * Server connections: pg_stat_activity sampled (the app login on the organization databases) and SHOW POOLS.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../tooling/postgres/embedded.ts';
import { type PointReadRun, pointReads } from './orgs-queries.ts';
import type { OrgsFixture } from './orgs-setup.ts';

const PGBOUNCER = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

/** PgBouncer refuses to run as root; as root it runs as the postgres OS user (as the embedded server does). */
function osUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

interface Bouncer {
  port: number;
  /** Server connections PgBouncer holds, from SHOW POOLS: pools, and the sum of sv_* columns. */
  pools(): Promise<{ pools: number; servers: number }>;
  stop(): Promise<void>;
}

async function startBouncer(fx: OrgsFixture, settings: Record<string, string | number>): Promise<Bouncer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'acme-bench-pgbouncer-'));
  const port = await freePort();
  const server = new URL(fx.url);
  const admin = { user: 'bench_admin', password: 'bench-admin' };
  writeFileSync(
    path.join(dir, 'userlist.txt'),
    `"${fx.login.user}" "${fx.login.password}"\n"${admin.user}" "${admin.password}"\n`,
    { mode: 0o600 },
  );
  const ini = [
    '[databases]',
    `* = host=${server.hostname} port=${server.port}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${dir}/userlist.txt`,
    'pool_mode = transaction',
    'max_client_conn = 1000',
    `stats_users = ${admin.user}`,
    'ignore_startup_parameters = extra_float_digits,statement_timeout,options',
    `logfile = ${dir}/pgbouncer.log`,
    ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`),
  ].join('\n');
  writeFileSync(path.join(dir, 'pgbouncer.ini'), `${ini}\n`);
  const user = osUser();
  if (user) for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(path.join(dir, f), user.uid, user.gid);
  const child = spawn(PGBOUNCER, ['-q', path.join(dir, 'pgbouncer.ini')], { stdio: 'ignore', ...(user ?? {}) });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const adminUrl = `postgresql://${admin.user}:${admin.password}@127.0.0.1:${port}/pgbouncer`;
  for (let i = 0; ; i++) {
    try {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.end();
      break;
    } catch (err) {
      if (i > 50) throw new Error(`PgBouncer did not start: ${(err as Error).message}\n${readLog(dir)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    pools: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        // The admin console speaks the simple protocol only.
        const { rows } = await c.query({ text: 'SHOW POOLS', queryMode: 'simple' } as pg.QueryConfig);
        const mine = rows.filter((r) => String(r.database).startsWith(fx.prefix));
        const sv = (r: Record<string, string>) =>
          ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'].reduce((n, k) => n + Number(r[k] ?? 0), 0);
        return { pools: mine.length, servers: mine.reduce((n, r) => n + sv(r), 0) };
      } finally {
        await c.end();
      }
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const readLog = (dir: string) => {
  try {
    return readFileSync(path.join(dir, 'pgbouncer.log'), 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
};

/** Samples SHOW POOLS every 50 ms while `run` goes on: the peak of server connections PgBouncer held. */
async function withPoolSampling<T>(b: Bouncer, run: () => Promise<T>) {
  let peak = { pools: 0, servers: 0 };
  let going = true;
  const sampler = (async () => {
    while (going) {
      const now = await b.pools().catch(() => peak);
      peak = { pools: Math.max(peak.pools, now.pools), servers: Math.max(peak.servers, now.servers) };
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    return { result: await run(), peak: () => peak };
  } finally {
    going = false;
    await sampler;
  }
}

export async function pgbouncerReads(
  fx: OrgsFixture,
  opts: { caps: number[]; queries: number; withDb: number; concurrency: number; unbounded: boolean },
): Promise<PointReadRun[]> {
  const runs: PointReadRun[] = [];
  const configs: Array<[string, number, Record<string, string | number>]> = opts.caps.map((cap) => [
    'PgBouncer, max_user_connections = cap',
    cap,
    { default_pool_size: 2, max_user_connections: cap, server_idle_timeout: 1 },
  ]);
  if (opts.unbounded) {
    const cap = Math.max(...opts.caps);
    configs.push(['PgBouncer, no server-side limit', cap, { default_pool_size: 1, server_idle_timeout: 600 }]);
  }
  for (const [label, cap, settings] of configs) {
    const b = await startBouncer(fx, settings);
    try {
      const template = `postgresql://postgres:x@127.0.0.1:${b.port}/{slug}`;
      const { result, peak } = await withPoolSampling(b, () =>
        pointReads(
          fx,
          { label, cap, queries: opts.queries, withDb: opts.withDb, concurrency: opts.concurrency },
          {
            ORG_DATABASE_URL_TEMPLATE: template,
          },
        ),
      );
      const p = peak();
      console.log(`  PgBouncer SHOW POOLS (peak)    ${p.pools} pools, ${p.servers} server connections`);
      console.log(`  POOLS ${JSON.stringify({ label, cap, ...p })}`);
      runs.push(result);
    } finally {
      await b.stop();
    }
  }
  return runs;
}
