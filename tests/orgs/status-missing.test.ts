/**
 * db:org:list, db:status and db:migrate:deploy with organizations registered
 * without a database (issue 27: 9,000 of 10,000 at SaaS size). Server "p" is
 * server a behind a TCP proxy that counts connections, so the test sees that
 * a missing database costs no connection: one listing per server instead.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withClient } from '../../tooling/database.ts';
import { type TwoServers, twoServers } from './two-servers.ts';

let t: TwoServers;
let connections = 0;
const sockets = new Set<net.Socket>();
const proxy = net.createServer((client) => {
  connections++;
  const target = new URL(t.serverA);
  const upstream = net.connect(Number(target.port), target.hostname);
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  }
  client.pipe(upstream).pipe(client);
});

/** Server a's template with the proxy's port: what ORG_SERVER_P_URL names. */
const proxiedTemplate = (port: number) => {
  const u = new URL(t.env.ORG_DATABASE_URL_TEMPLATE as string);
  u.port = String(port);
  return u.toString().replace('%7Bslug%7D', '{slug}');
};

const register = (slug: string, server: string | null, status = 'active') =>
  withClient(t.centralUrl, (c) =>
    c.query(
      `INSERT INTO "Organization" (id, slug, name, status, "dbServer", "dbName", "updatedAt")
       VALUES ($1, $1, $1, $2, $3, $4, now())`,
      [slug, status, server, `${t.prefix}${slug}`],
    ),
  );

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => proxy.close(r));
  await t?.close();
}, 300_000);
beforeAll(async () => {
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as net.AddressInfo).port;
  t = await twoServers();
  t.env.ORG_SERVER_P_URL = proxiedTemplate(port);
  process.env.ORG_SERVER_P_URL = t.env.ORG_SERVER_P_URL;
  for (const [slug, server] of [
    ['acme', []],
    ['globex', ['--server', 'b']],
  ] as const) {
    const res = await t.db(['org:create', slug, ...server]);
    expect(res.code, res.output).toBe(0);
  }
  // "proxied": a real database on server a, reached through the proxy; a copy of acme's.
  await withClient(t.orgDbUrl('a', 'postgres'), (c) =>
    c.query(
      `CREATE DATABASE ${pg.escapeIdentifier(`${t.prefix}proxied`)} TEMPLATE ${pg.escapeIdentifier(`${t.prefix}acme`)}`,
    ),
  );
  await register('proxied', 'p');
  for (const slug of ['ghost-1', 'ghost-2', 'ghost-3']) await register(slug, 'p');
  await register('ghost-a', null);
  await register('gone', 'b', 'archived');
}, 300_000);

describe('organizations registered without a database', { timeout: 240_000 }, () => {
  it('db:org:list says "no database" for each, without connecting to it, and lists the others', async () => {
    connections = 0;
    const res = await t.db(['org:list']);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toMatch(/acme\s+active\s+\d{14}_\w+\s+0/);
    expect(res.output).toMatch(/globex\s+active\s+\d{14}_\w+\s+0/);
    expect(res.output).toMatch(/proxied\s+active\s+\d{14}_\w+\s+0/);
    for (const slug of ['ghost-1', 'ghost-2', 'ghost-3']) {
      expect(res.output).toMatch(new RegExp(`${slug}\\s+active\\s+no database ${t.prefix}${slug} on server p\\s+\\?`));
    }
    expect(res.output).toMatch(new RegExp(`ghost-a\\s+active\\s+no database ${t.prefix}ghost-a on the default server`));
    expect(res.output).toMatch(new RegExp(`gone\\s+archived\\s+no database ${t.prefix}gone on server b`));
    expect(res.output).not.toContain('unreachable');
    // Server p: one pg_database listing and proxied's history; nothing for its three missing databases.
    expect(connections).toBe(2);
  });

  it('db:status -- --no-drift reports them and exits 1 for an active one; archived without one is fine', async () => {
    const res = await t.db(['status', '--no-drift']);
    expect(res.code, res.output).toBe(1);
    expect(res.output).toMatch(/acme \(active\): \d+ applied, 0 pending, 0 failed/);
    expect(res.output).toMatch(/globex \(active\): \d+ applied, 0 pending, 0 failed/);
    expect(res.output).toMatch(/proxied \(active\): \d+ applied, 0 pending, 0 failed/);
    expect(res.output).toContain(`ghost-1 (active): no database ${t.prefix}ghost-1 on server p`);
    expect(res.output).toContain(`gone (archived): no database ${t.prefix}gone on server b`);

    await withClient(t.centralUrl, (c) =>
      c.query(`UPDATE "Organization" SET status = 'archived' WHERE slug LIKE 'ghost-%'`),
    );
    const archived = await t.db(['status', '--no-drift']);
    expect(archived.code, archived.output).toBe(0);
    expect(archived.output).toContain(`ghost-2 (archived): no database ${t.prefix}ghost-2 on server p`);
    await withClient(t.centralUrl, (c) =>
      c.query(`UPDATE "Organization" SET status = 'active' WHERE slug LIKE 'ghost-%'`),
    );
  });

  it('db:migrate:deploy fails each active one as "no database", deploys the others, exits 1', async () => {
    const res = await t.db(['deploy']);
    expect(res.code, res.output).toBe(1);
    expect(res.output).toMatch(/acme: ok: 0 applied/);
    expect(res.output).toMatch(/proxied: ok: 0 applied/);
    expect(res.output).toContain(`ghost-3: FAILED: no database ${t.prefix}ghost-3 on server p`);
    expect(res.output).not.toMatch(/gone: /); // archived: not deployed
    expect(res.output).toContain('Failed: ghost-1, ghost-2, ghost-3, ghost-a');
  });

  it('a server that does not answer is reported once for all of its organizations', async () => {
    await t.serverB.pause();
    try {
      const res = await t.db(['org:list']);
      expect(res.code, res.output).toBe(0);
      expect(res.output).toMatch(/globex\s+active\s+unreachable: server unreachable: .*ECONNREFUSED/);
      expect(res.output).toMatch(/gone\s+archived\s+unreachable: server unreachable/);
      expect(res.output).toMatch(/acme\s+active\s+\d{14}_\w+\s+0/);
      expect(res.output).not.toContain(new URL(t.serverB.url).password);
    } finally {
      await t.serverB.resume();
    }
  });
});
