/**
 * `pnpm demo` — the package's main job on a bare machine: a database (the
 * embedded development one unless DATABASE_URL is set), migrations through
 * the deploy path, seed data, the tRPC API over HTTP on localhost, a signed
 * token per role, and the policy matrix as observed against the database.
 * `pnpm demo --standby`: also a streaming standby of the development
 * database, with the reads routed to it (README "Read replicas").
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { createApiServer } from '@acme/api-contract';
import { signSessionToken } from '@acme/auth';
import { closeDb } from '@acme/db';
import { mountObservability } from '@acme/db/observability';
import { answeringServer } from '@acme/db/tooling/answering-server.ts';
import { deployMigrations } from '@acme/db/tooling/migrate/migrate.ts';
import { setUpDemoOrganizations } from '@acme/db/tooling/orgs/demo.ts';
import { formatMatrix, probePolicies } from '@acme/db/tooling/policy-probe.ts';
import { DEV_DATA } from '@acme/db/tooling/postgres/dev-database.ts';
import { type DevStandby, openDevStandby } from '@acme/db/tooling/postgres/dev-standby.ts';
import { seedDatabase } from '@acme/db/tooling/seed/data.ts';
import { checkStartupConfig } from '@acme/db/tooling/startup-config.ts';
import { openTargetOrExit } from '@acme/db/tooling/target-database.ts';

const log = (line: string) => console.log(`[demo] ${line}`);

/** AUTH_SECRET, or a development secret generated once and kept under .data/. */
function authSecret(): string {
  if (process.env.AUTH_SECRET) return process.env.AUTH_SECRET;
  const file = path.join(DEV_DATA, 'dev-auth-secret');
  if (!existsSync(file)) {
    mkdirSync(DEV_DATA, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  log('AUTH_SECRET is not set: using the development secret in .data/dev-auth-secret');
  return readFileSync(file, 'utf8').trim();
}

/**
 * Fails fast when the port is taken (another `pnpm demo`?), before the
 * database, migrations and seed have run for nothing.
 */
async function checkPort(port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve) => {
    probe.once('error', (err: NodeJS.ErrnoException) => {
      console.error(
        err.code === 'EADDRINUSE'
          ? `[demo] port ${port} on 127.0.0.1 is in use (another pnpm demo?). Pick another: PORT=${port + 1} pnpm demo (PORT=0 for any free port).`
          : `[demo] cannot listen on 127.0.0.1:${port}: ${err.message}`,
      );
      process.exit(1);
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

// Every setting first, one line if one is bad: nothing is started, migrated or seeded for nothing.
checkStartupConfig('demo', { authSecret: true, orgs: Boolean(process.env.DEMO_ORGS) });
// `pnpm demo -- --standby` forwards the `--` itself.
const args = process.argv.slice(2).filter((a) => a !== '--');
const unknownArg = args.find((a) => a !== '--standby');
if (unknownArg) {
  console.error(`[demo] unknown option ${unknownArg}. Usage: pnpm demo [--standby]`);
  process.exit(64);
}
const withStandby = args.includes('--standby');
if (withStandby && (process.env.DATABASE_URL || process.env.DEMO_ORGS)) {
  console.error(
    process.env.DATABASE_URL
      ? '[demo] --standby makes a standby of the development database: unset DATABASE_URL (for your own servers, set DATABASE_REPLICA_URLS instead).'
      : '[demo] --standby is for single-database mode: DATABASE_REPLICA_URLS routes no organization database (unset DEMO_ORGS).',
  );
  process.exit(64);
}
const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('[demo] PORT must be a whole number from 0 to 65535.');
  process.exit(64);
}
await checkPort(port);
const target = await openTargetOrExit('demo');
const url = target.url;
let standby: DevStandby | undefined;

let server: ReturnType<typeof createApiServer> | undefined;
let stopping = false;
async function shutdown(reason: string) {
  if (stopping) return;
  stopping = true;
  log(`${reason}: stopping`);
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await closeDb();
  await standby?.release();
  await target.release();
  log('stopped');
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
// `pnpm demo` killed with SIGTERM exits without passing the signal on; when
// our parent goes away we stop too rather than leave PostgreSQL running.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && void shutdown('parent exited'), 1000).unref();

try {
  if (withStandby) {
    standby = await openDevStandby('pnpm demo --standby', log);
    process.env.DATABASE_REPLICA_URLS = standby.serverUrl; // before the first createDb: the runtime reads it once
    log(`reads go to the standby: DATABASE_REPLICA_URLS=${standby.serverUrl}`);
  }
  await deployMigrations(url, { quiet: true });
  log('migrations applied (deploy path)');
  // DEMO_ORGS=acme,globex: organization mode, a database per organization (README "Organizations").
  const orgs = process.env.DEMO_ORGS ? await setUpDemoOrganizations(url, process.env.DEMO_ORGS, log) : undefined;
  const seeded = orgs ? undefined : await seedDatabase(url);
  if (seeded) {
    log(
      seeded.created
        ? `seed: ${seeded.created} missing rows inserted`
        : 'seed data in place (your edits are kept; `pnpm db:seed -- --reset` restores the seed)',
    );
  }

  const secret = authSecret();
  server = mountObservability(createApiServer({ secret })); // GET /metrics and /healthz before the API
  const http = server;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  const sessions = Object.fromEntries(
    (['USER', 'SUPPORT', 'ADMIN'] as const).map((role) => [role, { id: `demo-${role.toLowerCase()}`, role }]),
  );
  if (!orgs) {
    console.log('\nLive policy matrix (observed against the database; every probe rolled back):\n');
    console.log(formatMatrix(await probePolicies(url, { anonymous: null, ...sessions })));
  } else {
    console.log(
      '\nOrganization mode: the same rules in every organization (`pnpm demo` without DEMO_ORGS shows the matrix).',
    );
  }

  if (!orgs && process.env.DATABASE_REPLICA_URLS?.trim()) {
    const answer = await answeringServer();
    console.log(
      answer.standby
        ? `\nReplica routing: a read was answered by standby ${answer.server} (pg_is_in_recovery() on it: true).`
        : `\nReplica routing: a read was answered by primary ${answer.server}: no replica took reads within 10 s.`,
    );
    console.log('  NODE_DEBUG=acme-db-replicas shows the server of every statement.');
  }

  console.log('\nTokens (HS256, valid 12 h):');
  for (const orgSlug of orgs ?? [undefined]) {
    for (const [role, session] of Object.entries(sessions)) {
      const label = orgSlug ? `${orgSlug} ${role}` : role;
      const token = await signSessionToken(orgSlug ? { ...session, orgSlug } : session, secret, '12h');
      console.log(`  ${label.padEnd(orgSlug ? 20 : 8)} ${token}`);
    }
  }
  console.log(`\nTry: curl -s -H "Authorization: Bearer <token>" '${base}/clinic.list'`);
  console.log(`Metrics: ${base}/metrics (Prometheus), health: ${base}/healthz`);
  console.log(`Listening on ${base} — Ctrl-C to stop.`);
  console.log('Policy studio (rows as any session, why each is visible): pnpm studio, then http://127.0.0.1:4000');
} catch (err) {
  console.error(`[demo] failed: ${(err as Error).message}`);
  await closeDb();
  await standby?.release();
  await target.release();
  process.exit(1);
}
