/**
 * The contestants, each doing the same workloads on the same database. Those
 * without a policy engine apply the spec's rules by hand (reads need a
 * session, writes need ADMIN), so every contestant returns the same rows.
 */
import type { SessionInput } from '@acme/auth';
import { ZenStackClient } from '@zenstackhq/orm';
import { PostgresDialect } from '@zenstackhq/orm/dialects/postgres';
import Decimal from 'decimal.js';
import { Kysely, PostgresDialect as KyselyPostgresDialect, sql } from 'kysely';
import { readDbConfig } from '../src/config.ts';
import { closeDb, createDb, findManyPaged } from '../src/index.ts';
import { DbRuntime } from '../src/runtime.ts';
import { type Contestant, money, newPool, refused, requireAdmin, sortPrices, toPageRow } from './contestant-kit.ts';

export type { ClinicRow, Contestant, PageRow, PriceRow } from './contestant-kit.ts';

import { schema } from '../zenstack/schema.ts';

export function rawPg(url: string): Contestant {
  const pool = newPool(url);
  return {
    name: 'raw pg',
    async findUnique(_s, id) {
      return (await pool.query('SELECT id, name, code FROM "Clinic" WHERE id = $1', [id])).rows[0] ?? null;
    },
    async listPage() {
      const { rows } = await pool.query(`
        SELECT c.id, COALESCE(l.links, '[]') AS links FROM (SELECT id, name FROM "Clinic" ORDER BY name, id LIMIT 50) c
        LEFT JOIN LATERAL (
          SELECT json_agg(json_build_object('id', tbc.id, 'treatmentId', t.id, 'treatmentName', t.name) ORDER BY tbc.id) AS links
          FROM "TreatmentsByClinic" tbc JOIN "Treatment" t ON t.id = tbc."treatmentId" WHERE tbc."clinicId" = c.id
        ) l ON true ORDER BY c.name, c.id`);
      return rows;
    },
    async clinicTreatments(_s, clinicId) {
      const { rows } = await pool.query(
        `SELECT t.id AS "treatmentId", COALESCE(tbc."priceOverride", t.price)::text AS "effectivePrice"
         FROM "TreatmentsByClinic" tbc JOIN "Treatment" t ON t.id = tbc."treatmentId" WHERE tbc."clinicId" = $1`,
        [clinicId],
      );
      return sortPrices(rows.map((r) => ({ ...r, effectivePrice: money(r.effectivePrice) })));
    },
    async create(s, n) {
      requireAdmin(s);
      const { rows } = await pool.query(
        `INSERT INTO "Treatment" (id, name, price, "updatedAt") VALUES ($1, $2, $3, now()) RETURNING id`,
        [`raw-${n}-${process.hrtime.bigint()}`, `bench raw ${n}`, '10.00'],
      );
      return rows[0].id;
    },
    async update(s, id, n) {
      requireAdmin(s);
      await pool.query(`UPDATE "Treatment" SET name = $2, "updatedAt" = now() WHERE id = $1`, [id, `renamed ${n}`]);
    },
    deniedWrite: (s, id) =>
      refused(async () => {
        requireAdmin(s);
        await pool.query(`UPDATE "Clinic" SET name = 'x' WHERE id = $1`, [id]);
      }),
    close: () => pool.end(),
  };
}

export function kysely(url: string): Contestant {
  // biome-ignore lint/suspicious/noExplicitAny: an untyped Kysely, as a hand-written query layer would start.
  const db = new Kysely<any>({ dialect: new KyselyPostgresDialect({ pool: newPool(url) }) });
  return {
    name: 'Kysely',
    findUnique: async (_s, id) =>
      (await db.selectFrom('Clinic').select(['id', 'name', 'code']).where('id', '=', id).executeTakeFirst()) ?? null,
    async listPage() {
      const clinics = await db.selectFrom('Clinic').select(['id']).orderBy('name').orderBy('id').limit(50).execute();
      const links = await db
        .selectFrom('TreatmentsByClinic as tbc')
        .innerJoin('Treatment as t', 't.id', 'tbc.treatmentId')
        .select(['tbc.id', 'tbc.clinicId', 't.id as treatmentId', 't.name as treatmentName'])
        .where(
          'tbc.clinicId',
          'in',
          clinics.map((c) => c.id),
        )
        .orderBy('tbc.id')
        .execute();
      return clinics.map((c) => ({
        id: c.id,
        links: links
          .filter((l) => l.clinicId === c.id)
          .map(({ id, treatmentId, treatmentName }) => ({ id, treatmentId, treatmentName })),
      }));
    },
    async clinicTreatments(_s, clinicId) {
      const rows = await db
        .selectFrom('TreatmentsByClinic as tbc')
        .innerJoin('Treatment as t', 't.id', 'tbc.treatmentId')
        .select(['t.id as treatmentId', sql<string>`COALESCE(tbc."priceOverride", t.price)::text`.as('effectivePrice')])
        .where('tbc.clinicId', '=', clinicId)
        .execute();
      return sortPrices(rows.map((r) => ({ treatmentId: r.treatmentId, effectivePrice: money(r.effectivePrice) })));
    },
    async create(s, n) {
      requireAdmin(s);
      const row = await db
        .insertInto('Treatment')
        .values({
          id: `ky-${n}-${process.hrtime.bigint()}`,
          name: `bench ky ${n}`,
          price: '10.00',
          updatedAt: sql`now()`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async update(s, id, n) {
      requireAdmin(s);
      await db
        .updateTable('Treatment')
        .set({ name: `renamed ${n}`, updatedAt: sql`now()` })
        .where('id', '=', id)
        .execute();
    },
    deniedWrite: (s, id) =>
      refused(async () => {
        requireAdmin(s);
        await db.updateTable('Clinic').set({ name: 'x' }).where('id', '=', id).execute();
      }),
    close: () => db.destroy(),
  };
}

/** ZenStack's query API, with or without the policy plugin (the product is `createDb`). */
export function zenstackOps(
  name: string,
  clientFor: (s: SessionInput) => ReturnType<typeof plainClient>,
  byHand: boolean,
  close: () => Promise<void>,
): Contestant {
  const guard = (s: SessionInput) => byHand && requireAdmin(s);
  return {
    name,
    findUnique: (s, id) =>
      clientFor(s).clinic.findUnique({ where: { id }, select: { id: true, name: true, code: true } }),
    async listPage(s) {
      // findManyPaged: ZenStack's own findMany limits after its lateral joins (bench/RESULTS.md).
      const db = clientFor(s);
      const rows = await findManyPaged(db.clinic, { take: 50, orderBy: [{ name: 'asc' }, { id: 'asc' }] }, (where) =>
        db.clinic.findMany({
          where,
          select: {
            id: true,
            treatmentsByClinic: {
              orderBy: { id: 'asc' },
              select: { id: true, treatment: { select: { id: true, name: true } } },
            },
          },
        }),
      );
      return rows.map(toPageRow);
    },
    async clinicTreatments(s, clinicId) {
      const links = await clientFor(s).treatmentsByClinic.findMany({
        where: { clinicId },
        select: { priceOverride: true, treatment: { select: { id: true, price: true } } },
      });
      return sortPrices(
        links.map((l) => ({
          treatmentId: l.treatment.id,
          effectivePrice: (l.priceOverride ?? l.treatment.price).toFixed(2),
        })),
      );
    },
    async create(s, n) {
      guard(s);
      const t = await clientFor(s).treatment.create({
        data: { name: `bench ${name} ${n}`, price: new Decimal('10.00') },
      });
      return t.id;
    },
    async update(s, id, n) {
      guard(s);
      await clientFor(s).treatment.update({ where: { id }, data: { name: `renamed ${n}` } });
    },
    deniedWrite: (s, id) =>
      refused(async () => {
        guard(s);
        await clientFor(s).clinic.update({ where: { id }, data: { name: 'x' } });
      }),
    close,
  };
}

function plainClient(url: string) {
  return new ZenStackClient(schema, { dialect: new PostgresDialect({ pool: newPool(url) }) });
}

export function zenstackNoPolicies(url: string): Contestant {
  const client = plainClient(url);
  return zenstackOps(
    'ZenStack (no policies)',
    () => client,
    true,
    () => client.$disconnect(),
  );
}

/** The product: `createDb(session)` per request, pool from DATABASE_URL (max 10), ORM rules only. */
export function product(): Contestant {
  return zenstackOps(
    'createDb (policies)',
    (s) => createDb(s) as unknown as ReturnType<typeof plainClient>,
    false,
    closeDb,
  );
}

/**
 * The product with row-level security in force: sessions connect as the
 * acme_app role (`appUrl`) and every statement carries the session to
 * PostgreSQL, whose policies check the rules again.
 */
export function productWithRls(url: string, appUrl: string): Contestant {
  const runtime = new DbRuntime(readDbConfig({ DATABASE_URL: url, APP_DATABASE_URL: appUrl }));
  return zenstackOps(
    'createDb + RLS',
    (s) => runtime.createDb(s) as unknown as ReturnType<typeof plainClient>,
    false,
    () => runtime.close(),
  );
}
