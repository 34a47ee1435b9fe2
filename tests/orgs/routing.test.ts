import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toTRPCError } from '../../packages/api-contract/src/errors.ts';
import {
  closeDb,
  createDb,
  createSystemDb,
  InvalidSessionError,
  loadSession,
  OrgForbiddenError,
  OrgNotFoundError,
  OrgRoutingError,
  orgAccessErrorOf,
  orgPoolStats,
  setOrgCredentialsResolver,
} from '../../src/index.ts';
import { readOrgConfig } from '../../src/orgs/config.ts';
import { defaultCredentialsResolver, type OrgDatabaseRef } from '../../src/orgs/credentials.ts';
import { findPgTool, MissingPgToolError, serverMajor } from '../../tooling/backup/tools.ts';
import { withClient } from '../../tooling/database.ts';
import { checkSlug } from '../../tooling/orgs/provision.ts';
import { type TwoServers, twoServers } from './two-servers.ts';

let t: TwoServers;
const spans = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
const admin = (orgSlug: string) => ({ id: 'admin-1', role: 'ADMIN' as const, orgSlug });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function centralRows(): Promise<Array<{ slug: string; status: string; dbServer: string | null }>> {
  return withClient(t.centralUrl, async (c) => {
    const { rows } = await c.query('SELECT slug, status, "dbServer" FROM "Organization" ORDER BY slug');
    return rows;
  });
}

afterAll(() => t?.close(), 300_000);
beforeAll(async () => {
  t = await twoServers();
  // Through the commands, as an operator would: acme on the default server, globex on server b.
  const a = await t.db(['org:create', 'acme', '--name', 'Acme Dental']);
  expect(a.output).toContain('acme: registered (active)');
  const b = await t.db(['org:create', 'globex', '--server', 'b']);
  expect(b.code, b.output).toBe(0);
  expect((await t.db(['org:member', 'acme', 'user-1', '--role', 'USER'])).code).toBe(0);
}, 300_000);

describe('db:org:create', { timeout: 240_000 }, () => {
  it('registers each organization once, on the server it names', async () => {
    expect(await centralRows()).toEqual([
      { slug: 'acme', status: 'active', dbServer: null },
      { slug: 'globex', status: 'active', dbServer: 'b' },
    ]);
    await withClient(t.orgDbUrl('b', `${t.prefix}globex`), async (c) => {
      const { rows } = await c.query('SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL');
      expect(rows[0].n).toBeGreaterThan(0);
    });
  });

  it('is idempotent: a second run changes nothing and succeeds', async () => {
    const again = await t.db(['org:create', 'acme']);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain('acme: already registered (active)');
    expect((await centralRows()).map((r) => r.slug)).toEqual(['acme', 'globex']);
  });

  it('refuses a bad slug with a clear error and creates nothing', async () => {
    for (const slug of ['Acme', 'acme;drop']) {
      const res = await t.db(['org:create', slug]);
      expect(res.code).toBe(64);
      expect(res.output).toContain('Invalid organization slug');
    }
    for (const slug of ['1acme', 'a', 'acme_dental', `a${'b'.repeat(41)}`, '', '-acme']) {
      expect(() => checkSlug(slug)).toThrow(/Invalid organization slug/);
    }
    expect(checkSlug(`a${'b'.repeat(40)}`)).toHaveLength(41);
    expect((await centralRows()).map((r) => r.slug)).toEqual(['acme', 'globex']);
    await withClient(t.serverA, async (c) => {
      const { rows } = await c.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${t.prefix}%`]);
      expect(rows.map((r) => r.datname)).toEqual([`${t.prefix}acme`]);
    });
    // The database refuses it too, whoever writes.
    const direct = await withClient(t.centralUrl, (c) =>
      c.query(
        `INSERT INTO "Organization" (id, slug, name, "dbName", "updatedAt") VALUES ('x', 'Bad', 'x', 'x', now())`,
      ),
    ).catch((e) => e);
    expect(direct.code).toBe('23514');
  });
});

describe('routing', { timeout: 240_000 }, () => {
  it('keeps each organization in its own database, both ways', async () => {
    await createDb(admin('acme')).clinic.create({ data: { name: 'Acme North', code: 'ACME-N' } });
    await createDb(admin('globex')).clinic.create({ data: { name: 'Globex One', code: 'GLOBEX-1' } });
    const codes = async (slug: string) =>
      (await createDb(admin(slug)).clinic.findMany({ select: { code: true } })).map((c) => c.code);
    expect(await codes('acme')).toEqual(['ACME-N']);
    expect(await codes('globex')).toEqual(['GLOBEX-1']);
    // Each operation's span names the organization it ran in.
    const orgsTraced = spans
      .getFinishedSpans()
      .filter((s) => s.name === 'Clinic.findMany')
      .map((s) => s.attributes['acme.db.org']);
    expect(new Set(orgsTraced)).toEqual(new Set(['acme', 'globex']));
    // Read back past the package: each row is on its own server only.
    const onServer = (server: 'a' | 'b', slug: string) =>
      withClient(t.orgDbUrl(server, `${t.prefix}${slug}`), async (c) =>
        (await c.query('SELECT code FROM "Clinic"')).rows.map((r) => r.code),
      );
    expect(await onServer('a', 'acme')).toEqual(['ACME-N']);
    expect(await onServer('b', 'globex')).toEqual(['GLOBEX-1']);
    // Unique codes are per organization: the same code in the other one is fine.
    await createDb(admin('globex')).clinic.create({ data: { name: 'Globex North', code: 'ACME-N' } });
    expect(await codes('acme')).toEqual(['ACME-N']);
  });

  it('routes by orgId as by slug, and refuses a session naming two organizations', async () => {
    const acme = await loadSession({ id: 'user-1', role: 'USER', orgSlug: 'acme' });
    expect(acme.orgSlug).toBe('acme');
    const byId = await createDb({ id: 'x', role: 'ADMIN', orgId: acme.orgId }).clinic.findMany({
      select: { code: true },
    });
    expect(byId.map((c) => c.code)).toEqual(['ACME-N']);
    expect(() => createDb({ id: 'x', role: 'ADMIN', orgId: acme.orgId, orgSlug: 'globex' })).toThrow(
      InvalidSessionError,
    );
  });

  it('runs sessions as the app role under row-level security in every organization database', async () => {
    await createDb(admin('globex')).clinic.count();
    const users = await withClient(t.serverB.url, async (c) => {
      const { rows } = await c.query('SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1', [
        `${t.prefix}globex`,
      ]);
      return rows.map((r) => r.usename);
    });
    expect(users).toContain('acme_app');
    // The app role with no session context sees nothing, on either server.
    for (const [server, slug] of [
      ['a', 'acme'],
      ['b', 'globex'],
    ] as const) {
      const url = new URL(t.orgDbUrl(server, `${t.prefix}${slug}`));
      url.username = 'acme_app';
      url.password = new URL(t.env.APP_DATABASE_URL as string).password;
      const rows = await withClient(url.toString(), async (c) => (await c.query('SELECT * FROM "Clinic"')).rows);
      expect(rows).toEqual([]);
    }
  });

  it('loadSession takes the role from the central membership and refuses non-members', async () => {
    const session = await loadSession({ id: 'user-1', role: 'ADMIN', orgSlug: 'acme' });
    expect(session.role).toBe('USER');
    const err = await loadSession({ id: 'user-1', role: 'USER', orgSlug: 'globex' }).catch((e) => e);
    expect(err).toBeInstanceOf(OrgForbiddenError);
    expect(toTRPCError(err).code).toBe('FORBIDDEN');
  });

  it('refuses an unknown organization (NOT_FOUND) without trying to connect anywhere', async () => {
    const config = readOrgConfig();
    const asked: string[] = [];
    setOrgCredentialsResolver(async (ref: OrgDatabaseRef) => {
      asked.push(ref.slug);
      return defaultCredentialsResolver(config)(ref);
    });
    await closeDb(); // a fresh router: the resolver is asked for every pool it opens
    await createDb(admin('acme')).clinic.count();
    expect(asked).toContain('acme');
    const before = orgPoolStats()?.open;
    const err = (() => {
      try {
        createDb(admin('initech'));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OrgNotFoundError);
    expect(toTRPCError(err).code).toBe('NOT_FOUND');
    // A cold router finds out at the first query; the error is the same one, wrapped.
    await closeDb();
    const cold = await createDb(admin('initech'))
      .clinic.count()
      .catch((e) => e);
    expect(orgAccessErrorOf(cold)).toBeInstanceOf(OrgNotFoundError);
    expect(toTRPCError(cold).code).toBe('NOT_FOUND');
    expect(asked).not.toContain('initech');
    expect(orgPoolStats()?.organizations.map((o) => o.org)).not.toContain('initech');
    expect(before).toBeGreaterThan(0);
  });

  it('a credentials resolver that gives sessions no appUrl is named as the cause, nothing connects', async () => {
    const config = readOrgConfig();
    setOrgCredentialsResolver(async (ref: OrgDatabaseRef) => ({
      ownerUrl: (await defaultCredentialsResolver(config)(ref)).ownerUrl,
    }));
    try {
      await closeDb();
      const err = await createDb(admin('acme'))
        .clinic.count()
        .catch((e: Error) => e);
      const messages: string[] = [];
      for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(e.message);
      expect(messages.join(' | ')).toMatch(
        /the credentials resolver gave no appUrl for organization acme: sessions connect as the application login/,
      );
      expect(messages.join(' | ')).not.toContain('APP_DATABASE_URL is set');
    } finally {
      setOrgCredentialsResolver(defaultCredentialsResolver(config));
      await closeDb();
    }
  });

  it('needs an organization in this mode, and the system client takes one explicitly', async () => {
    expect(() => createDb({ id: 'x', role: 'ADMIN' })).toThrow(OrgRoutingError);
    expect(() => createSystemDb('job')).toThrow(OrgRoutingError);
    expect(() => createSystemDb('job', { org: 'Not A Slug' })).toThrow(OrgRoutingError);
    expect(await createSystemDb('job', { org: 'globex' }).clinic.count()).toBe(2);
  });
});

describe('suspended and archived organizations', { timeout: 240_000 }, () => {
  async function until(check: () => boolean) {
    for (let i = 0; i < 100 && !check(); i++) await sleep(50);
  }
  const refusal = (slug: string) => {
    try {
      createDb(admin(slug));
      return undefined;
    } catch (e) {
      return e;
    }
  };

  it('refuses sessions of a suspended organization (FORBIDDEN); system work still runs', async () => {
    const held = createDb(admin('globex')); // handed out before the suspension
    expect((await t.db(['org:suspend', 'globex'])).code).toBe(0);
    await until(() => refusal('globex') !== undefined);
    const err = refusal('globex');
    expect(err).toBeInstanceOf(OrgForbiddenError);
    expect((err as OrgForbiddenError).reason).toBe('suspended');
    expect(toTRPCError(err).code).toBe('FORBIDDEN');
    expect(orgAccessErrorOf(await held.clinic.count().catch((e) => e))).toBeInstanceOf(OrgForbiddenError);
    expect(await createSystemDb('export', { org: 'globex' }).clinic.count()).toBe(2);
    expect(refusal('acme')).toBeUndefined();
  });

  it('refuses everyone on an archived organization, and an archived one stays archived', async () => {
    expect((await t.db(['org:archive', 'globex'])).code).toBe(0);
    await until(() => (refusal('globex') as OrgForbiddenError | undefined)?.reason === 'archived');
    expect((refusal('globex') as OrgForbiddenError).reason).toBe('archived');
    expect(() => createSystemDb('export', { org: 'globex' })).toThrow(OrgForbiddenError);
    const back = await t.db(['org:activate', 'globex']);
    expect(back.code).toBe(64);
    expect((await centralRows()).find((r) => r.slug === 'globex')?.status).toBe('archived');
    // For the tests after this one.
    await withClient(t.centralUrl, (c) => c.query(`UPDATE "Organization" SET status = 'active' WHERE slug = 'globex'`));
    await until(() => refusal('globex') === undefined);
  });
});

describe('db:org:list and db:status', { timeout: 240_000 }, () => {
  it('lists every organization with its schema version and pending migrations', async () => {
    const res = await t.db(['org:list']);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toMatch(/acme\s+active\s+\d{14}_\w+\s+0/);
    expect(res.output).toMatch(/globex\s+active\s+\d{14}_\w+\s+0/);
  });

  it('shows applied, pending and drift for every organization, and names the drifted one', async () => {
    await withClient(t.orgDbUrl('b', `${t.prefix}globex`), (c) =>
      c.query('ALTER TABLE "Clinic" ADD COLUMN "handMade" text'),
    );
    // Every organization without the (slow: a scratch database each) drift check, then one with it.
    const quick = await t.db(['status', '--no-drift']);
    expect(quick.code, quick.output).toBe(0);
    expect(quick.output).toMatch(/central: \d+ applied, 0 pending/);
    expect(quick.output).toMatch(/acme \(active\): \d+ applied, 0 pending, 0 failed/);
    expect(quick.output).toMatch(/globex \(active\): \d+ applied, 0 pending, 0 failed/);
    const res = await t.db(['status', '--org', 'globex']);
    expect(res.code, res.output).toBe(2);
    expect(res.output).toMatch(/globex \(active\): \d+ applied, 0 pending, 0 failed, drift DRIFT/);
    expect(res.output).not.toMatch(/acme \(/);
    expect(res.output).toContain('handMade');
    await withClient(t.orgDbUrl('b', `${t.prefix}globex`), (c) =>
      c.query('ALTER TABLE "Clinic" DROP COLUMN "handMade"'),
    );
  }, 240_000);
});

describe('db:migrate:deploy', { timeout: 240_000 }, () => {
  it('deploys central and every organization; one organization by --org', async () => {
    const all = await t.db(['deploy']);
    expect(all.code, all.output).toBe(0);
    expect(all.output).toContain('central: migrations applied');
    expect(all.output).toMatch(/acme: ok/);
    expect(all.output).toMatch(/globex: ok/);
    const one = await t.db(['deploy', '--org', 'globex']);
    expect(one.code, one.output).toBe(0);
    expect(one.output).not.toMatch(/acme: /);
  });

  it('goes on when one organization server is down, and exits non-zero naming it', async () => {
    await closeDb(); // no pooled connection to the server about to stop
    await t.serverB.pause();
    try {
      const res = await t.db(['deploy']);
      expect(res.code).toBe(1);
      expect(res.output).toMatch(/acme: ok/);
      expect(res.output).toMatch(/globex: FAILED: .*(ECONNREFUSED|connect)/);
      expect(res.output).toContain('Failed: globex');
      expect(res.output).not.toContain(new URL(t.serverA).password);
    } finally {
      await t.serverB.resume();
    }
    expect((await t.db(['deploy', '--org', 'globex'])).code).toBe(0);
  }, 240_000);
});

describe('db:backup --org', { timeout: 240_000 }, () => {
  /** Whether this machine has the pg_dump an organization's server needs (Debian's is 15; embedded 18 has none). */
  const hasPgDump = (url: string) =>
    serverMajor(url).then((major) =>
      findPgTool('pg_dump', major).then(
        () => true,
        (err) => (err instanceof MissingPgToolError ? false : Promise.reject(err)),
      ),
    );

  it.each(['acme', 'globex'] as const)('backs up %s from the server the central database names', async (slug) => {
    const server = slug === 'acme' ? 'a' : 'b';
    const url = t.orgDbUrl(server, `${t.prefix}${slug}`);
    const out = `${t.prefix}${slug}.dump`;
    const res = await t.db(['backup', '--org', slug, '--out', `.data/${out}`]);
    if (await hasPgDump(url)) {
      expect(res.code, res.output).toBe(0);
      expect(res.output).toContain(`.data/${out}`);
    } else {
      // The organization's own server was reached: its major version is the one asked for.
      expect(res.code, res.output).toBe(69);
      expect(res.output).toContain(`pg_dump ${await serverMajor(url)}`);
    }
    expect(res.output).not.toMatch(/:\/\/[^@\s]*:[^@\s]*@/); // no password in the output
  });

  it('names an unknown organization and backs up nothing', async () => {
    const res = await t.db(['backup', '--org', 'nosuch']);
    expect(res.code, res.output).toBe(66);
    expect(res.output).toContain('no organization nosuch');
  });
});
