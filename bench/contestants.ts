/**
 * The contestants, each doing the same workloads on the same database. Those
 * without a policy engine apply the spec's rules by hand (reads need a
 * session, writes need ADMIN), so every contestant returns the same rows.
 */
import type { SessionInput } from '@acme/auth';
import { closeDb, createDb, findManyPaged } from '@acme/db';
import { readDbConfig } from '@acme/db/config';
import { DbRuntime } from '@acme/db/runtime';
import { ZenStackClient } from '@zenstackhq/orm';
import { PostgresDialect } from '@zenstackhq/orm/dialects/postgres';
import Decimal from 'decimal.js';
import {
  AUDIT_INSERT_SQL,
  BULK_ROWS,
  type Contestant,
  FILTER_MIN_PRICE,
  FILTER_TAKE,
  filteredRow,
  money,
  newPool,
  refused,
  requireAdmin,
  sortPrices,
  toPageRow,
} from './contestant-kit.ts';

export type { ClinicRow, Contestant, PageRow, PriceRow } from './contestant-kit.ts';
export { kysely } from './contestant-kysely.ts';

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
    // Writes: the row and its audit row in one statement (data-modifying CTE), one implicit transaction.
    async create(s, n) {
      requireAdmin(s);
      const { rows } = await pool.query(
        `WITH t AS (INSERT INTO "Treatment" (id, name, price, "updatedAt") VALUES ($1, $2, $3, now()) RETURNING *)
         ${AUDIT_INSERT_SQL} SELECT $4, $5, 'Treatment', 'create', t.id, NULL, to_jsonb(t) FROM t RETURNING "recordId" AS id`,
        [`raw-${n}-${process.hrtime.bigint()}`, `bench raw ${n}`, '10.00', s.id, s.role],
      );
      return rows[0].id;
    },
    async update(s, id, n) {
      requireAdmin(s);
      await pool.query(
        `WITH old AS (SELECT id, name, "updatedAt" FROM "Treatment" WHERE id = $1 FOR UPDATE),
         t AS (UPDATE "Treatment" SET name = $2, "updatedAt" = now() FROM old WHERE "Treatment".id = old.id
               RETURNING "Treatment".id, "Treatment".name, "Treatment"."updatedAt")
         ${AUDIT_INSERT_SQL} SELECT $3, $4, 'Treatment', 'update', t.id,
           jsonb_build_object('name', old.name, 'updatedAt', old."updatedAt"),
           jsonb_build_object('name', t.name, 'updatedAt', t."updatedAt") FROM t JOIN old USING (id)`,
        [id, `renamed ${n}`, s.id, s.role],
      );
    },
    async upsert(s, id, n) {
      requireAdmin(s);
      await pool.query(
        `WITH old AS (SELECT id, name FROM "Treatment" WHERE id = $1 FOR UPDATE),
         t AS (INSERT INTO "Treatment" (id, name, price, "updatedAt") VALUES ($1, $2, '10.00', now())
               ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, "updatedAt" = now()
               -- Read here, "old" runs before the update; read only by the audit insert, PostgreSQL would run it
               -- after and skip the row this statement changed, auditing every update as a create.
               WHERE EXISTS (SELECT 1 FROM old) RETURNING *)
         ${AUDIT_INSERT_SQL} SELECT $3, $4, 'Treatment', CASE WHEN old.id IS NULL THEN 'create' ELSE 'update' END, t.id,
           CASE WHEN old.id IS NULL THEN NULL ELSE jsonb_build_object('name', old.name) END,
           CASE WHEN old.id IS NULL THEN to_jsonb(t) ELSE jsonb_build_object('name', t.name) END
         FROM t LEFT JOIN old USING (id)`,
        [id, `upserted ${n}`, s.id, s.role],
      );
    },
    async softDelete(s, patientId) {
      requireAdmin(s);
      await pool.query(
        `WITH t AS (UPDATE "Patient" SET "deletedAt" = now(), "updatedAt" = now() WHERE id = $1 AND "deletedAt" IS NULL
               RETURNING id, "deletedAt")
         ${AUDIT_INSERT_SQL} SELECT $2, $3, 'Patient', 'delete', t.id, jsonb_build_object('deletedAt', NULL),
           jsonb_build_object('deletedAt', t."deletedAt") FROM t`,
        [patientId, s.id, s.role],
      );
    },
    async createMany(s, n) {
      requireAdmin(s);
      const ids = Array.from({ length: BULK_ROWS }, (_, i) => `rawm-${n}-${i}-${process.hrtime.bigint()}`);
      await pool.query(
        `WITH t AS (INSERT INTO "Treatment" (id, name, price, "updatedAt")
               SELECT id, name, 10.00, now() FROM unnest($1::text[], $2::text[]) AS v(id, name) RETURNING *)
         ${AUDIT_INSERT_SQL} SELECT $3, $4, 'Treatment', 'create', t.id, NULL, to_jsonb(t) FROM t`,
        [ids, ids.map((id) => `bulk ${id}`), s.id, s.role],
      );
    },
    async filteredList() {
      const { rows } = await pool.query(
        'SELECT id, name, price::text AS price FROM "Treatment" WHERE price >= $1 ORDER BY price DESC, id LIMIT $2',
        [FILTER_MIN_PRICE, FILTER_TAKE],
      );
      return rows.map(filteredRow);
    },
    async count(_s, clinicId) {
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM "TreatmentsByClinic" WHERE "clinicId" = $1', [
        clinicId,
      ]);
      return rows[0].n;
    },
    async nestedFindUnique(_s, clinicId) {
      const { rows } = await pool.query(
        `SELECT c.id, c.name, COALESCE((
           SELECT json_agg(json_build_object('id', l.id, 'treatment', json_build_object('id', t.id, 'name', t.name)) ORDER BY l.id)
           FROM "TreatmentsByClinic" l JOIN "Treatment" t ON t.id = l."treatmentId" WHERE l."clinicId" = c.id), '[]') AS links
         FROM "Clinic" c WHERE c.id = $1`,
        [clinicId],
      );
      return rows[0] ?? null;
    },
    deniedWrite: (s, id) =>
      refused(async () => {
        requireAdmin(s);
        await pool.query(`UPDATE "Clinic" SET name = 'x' WHERE id = $1`, [id]);
      }),
    close: () => pool.end(),
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
    async filteredList(s) {
      const rows = await clientFor(s).treatment.findMany({
        where: { price: { gte: FILTER_MIN_PRICE } },
        orderBy: [{ price: 'desc' }, { id: 'asc' }],
        take: FILTER_TAKE,
        select: { id: true, name: true, price: true },
      });
      return rows.map(filteredRow);
    },
    count: (s, clinicId) => clientFor(s).treatmentsByClinic.count({ where: { clinicId } }),
    async nestedFindUnique(s, clinicId) {
      const c = await clientFor(s).clinic.findUnique({
        where: { id: clinicId },
        select: {
          id: true,
          name: true,
          treatmentsByClinic: {
            orderBy: { id: 'asc' },
            select: { id: true, treatment: { select: { id: true, name: true } } },
          },
        },
      });
      return c && { id: c.id, name: c.name, links: c.treatmentsByClinic };
    },
    async upsert(s, id, n) {
      guard(s);
      await clientFor(s).treatment.upsert({
        where: { id },
        create: { id, name: `upserted ${n}`, price: new Decimal('10.00') },
        update: { name: `upserted ${n}` },
      });
    },
    async softDelete(s, patientId) {
      guard(s);
      // The product's soft-delete plugin turns the delete into `SET "deletedAt"`; the bare ORM has no plugin.
      if (byHand)
        await clientFor(s).patient.update({
          where: { id: patientId, deletedAt: null },
          data: { deletedAt: new Date() },
        });
      else await clientFor(s).patient.delete({ where: { id: patientId } });
    },
    async createMany(s, n) {
      guard(s);
      const data = Array.from({ length: BULK_ROWS }, (_, i) => ({
        name: `bulk ${name} ${n} ${i}`,
        price: new Decimal('10.00'),
      }));
      await clientFor(s).treatment.createMany({ data });
    },
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

/** The product with every fast path off (`createDb(s, { fastPaths: false })`): the plain ZenStack path, "before". */
export function productPlain(): Contestant {
  return zenstackOps(
    'createDb, fast paths off',
    (s) => createDb(s, { fastPaths: false }) as unknown as ReturnType<typeof plainClient>,
    false,
    async () => {}, // shares the product's runtime, which product() closes
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
