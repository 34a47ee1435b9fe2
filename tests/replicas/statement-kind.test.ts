/**
 * The router's reading of SQL text and its settings: pure functions, no server
 * (the replica suites check the same decisions against a real standby).
 */
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { readDbConfig } from '../../src/config.ts';
import { kindOf, statementKind } from '../../src/driver/statement-kind.ts';
import { DbConfigError } from '../../src/errors/index.ts';
import { formatLsn, isLsn, parseLsn } from '../../src/replicas/lsn.ts';
import { onServer } from '../../src/replicas/replica-urls.ts';

// Compiles only: Kysely's DummyDriver never connects.
const qb = new Kysely<{ Clinic: { id: string; name: string } }>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('kindOf: from the query node where Kysely built one', () => {
  it.each([
    ['a select', qb.selectFrom('Clinic').select('id'), 'read'],
    [
      'a select with a read-only CTE',
      qb
        .with('c', (d) => d.selectFrom('Clinic').select('id'))
        .selectFrom('c')
        .selectAll(),
      'read',
    ],
    ['a select for update', qb.selectFrom('Clinic').select('id').forUpdate(), 'write'],
    ['a select for share', qb.selectFrom('Clinic').select('id').forShare(), 'write'],
    [
      'a select over a data-modifying CTE',
      qb
        .with('gone', (d) => d.deleteFrom('Clinic').returning('id'))
        .selectFrom('gone')
        .selectAll(),
      'write',
    ],
    ['an insert', qb.insertInto('Clinic').values({ id: 'x', name: 'y' }), 'write'],
    ['an update', qb.updateTable('Clinic').set({ name: 'y' }), 'write'],
    ['a delete', qb.deleteFrom('Clinic'), 'write'],
  ])('%s is a %s', (_name, builder, expected) => {
    expect(kindOf(builder.compile())).toBe(expected);
  });

  it('reads raw SQL by its text, and a node whose text could say otherwise is still judged by its node', () => {
    expect(kindOf(sql`select nextval('s')`.compile(qb))).toBe('write');
    expect(kindOf(sql`select 1`.compile(qb))).toBe('read');
    // A column named "delete" does not make a select a write: the node says what it is.
    expect(kindOf(qb.selectFrom('Clinic').select(sql<string>`'insert'`.as('delete')).compile())).toBe('read');
  });
});

describe('statementKind', () => {
  it.each([
    ['select "id" from "public"."Clinic" where "id" = $1', 'read'],
    ['  WITH x AS (SELECT 1) SELECT * FROM x', 'read'],
    ["select 'delete from x; update y' as text", 'read'],
    ['select "update", "insert" from "Odd" -- delete from "Clinic"', 'read'],
    ['select /* insert into x /* nested */ update */ 1', 'read'],
    ['select $tag$ insert into x $tag$, $$update$$, $1', 'read'],
    ["select E'it\\'s delete' as e", 'read'],
    ['explain select 1', 'read'],
    ["select jsonb_insert('{}', '{a}', '1'), jsonb_set('{}', '{a}', '1')", 'read'],
    ['WITH gone AS (DELETE FROM "Clinic" RETURNING id) SELECT id FROM gone', 'write'],
    ['with t as (insert into "A" values (1) returning *) select * from t', 'write'],
    ['select * into "Copy" from "Clinic"', 'write'],
    ['select * from "Clinic" for update', 'write'],
    ['select * from "Clinic" for key share', 'write'],
    ["select nextval('s')", 'write'],
    ['select pg_advisory_xact_lock(1)', 'write'],
    ['explain analyze delete from "Clinic"', 'write'],
    ['insert into "Clinic" ("id") values ($1)', 'write'],
    ['update "Clinic" set "name" = $1', 'write'],
    ['delete from "Clinic"', 'write'],
    ['merge into "Clinic" using x on true when matched then do nothing', 'write'],
    ['select 1; delete from "Clinic"', 'write'],
    ['lock table "Clinic"', 'write'],
    ['set statement_timeout = 0', 'write'],
    ['', 'write'],
    ['begin', 'begin'],
    ['start transaction isolation level read committed', 'begin'],
    ['commit', 'end'],
    ['ROLLBACK', 'end'],
  ])('%s -> %s', (sql, kind) => {
    expect(statementKind(sql)).toBe(kind);
  });
});

describe('LSNs', () => {
  it('round-trip and order as numbers', () => {
    expect(parseLsn('0/3000060')).toBe(0x3000060n);
    expect(formatLsn(parseLsn('1A/B374D848'))).toBe('1A/B374D848');
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(isLsn('0/0')).toBe(true);
    for (const bad of ['', '0/', '/1', '0/1/2', 'G/1', "0/1'--", '123456789/0']) expect(isLsn(bad)).toBe(false);
    expect(() => parseLsn('nope')).toThrow(TypeError);
  });
});

describe('replica settings', () => {
  const base = { DATABASE_URL: 'postgresql://owner:s3cret@primary:5432/acme' };

  it('are off by default, and list servers when set', () => {
    expect(readDbConfig(base).replicaUrls).toEqual([]);
    const config = readDbConfig({
      ...base,
      DATABASE_REPLICA_URLS: ' postgresql://r1:5433 , postgresql://r2/acme_ro?sslmode=require,',
      DB_REPLICA_MAX_LAG_MS: '2500',
    });
    expect(config.replicaUrls).toEqual(['postgresql://r1:5433', 'postgresql://r2/acme_ro?sslmode=require']);
    expect(config.replicaMaxLagMillis).toBe(2500);
    expect(readDbConfig(base).replicaMaxLagMillis).toBe(10_000);
  });

  it('refuse credentials in a replica entry, and bad values, without showing them', () => {
    const withPassword = () => readDbConfig({ ...base, DATABASE_REPLICA_URLS: 'postgresql://u:hunter2@r1' });
    expect(withPassword).toThrow(DbConfigError);
    expect(withPassword).toThrow(/entry 1 names a user or password/);
    expect(withPassword).not.toThrow(/hunter2/);
    expect(() => readDbConfig({ ...base, DATABASE_REPLICA_URLS: 'r1:5432' })).toThrow(/entry 1/);
    expect(() => readDbConfig({ ...base, DB_REPLICA_MAX_LAG_MS: '0' })).toThrow(/DB_REPLICA_MAX_LAG_MS/);
  });

  it("point each role's URL at the replica server", () => {
    expect(onServer('postgresql://app:pw@primary:5432/acme', 'postgresql://r1:5433')).toBe(
      'postgresql://app:pw@r1:5433/acme',
    );
    expect(onServer('postgresql://app:pw@primary/acme?application_name=x', 'postgresql://r2/ro?sslmode=require')).toBe(
      'postgresql://app:pw@r2/ro?application_name=x&sslmode=require',
    );
  });
});
