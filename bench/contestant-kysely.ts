/** Kysely (untyped, as a hand-written query layer would start) with the spec's rules by hand. */
import { Kysely, PostgresDialect as KyselyPostgresDialect, sql } from 'kysely';
import {
  auditValues,
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
} from './contestant-kit.ts';

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
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('Treatment')
          .values({
            id: `ky-${n}-${process.hrtime.bigint()}`,
            name: `bench ky ${n}`,
            price: '10.00',
            updatedAt: sql`now()`,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('AuditLog')
          .values(auditValues(s, 'Treatment', 'create', row.id, null, row))
          .execute();
        return row.id as string;
      });
    },
    async update(s, id, n) {
      requireAdmin(s);
      await db.transaction().execute(async (trx) => {
        const old = await trx
          .selectFrom('Treatment')
          .select(['name', 'updatedAt'])
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const row = await trx
          .updateTable('Treatment')
          .set({ name: `renamed ${n}`, updatedAt: sql`now()` })
          .where('id', '=', id)
          .returning(['name', 'updatedAt'])
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('AuditLog')
          .values(auditValues(s, 'Treatment', 'update', id, old, row))
          .execute();
      });
    },
    deniedWrite: (s, id) =>
      refused(async () => {
        requireAdmin(s);
        await db.updateTable('Clinic').set({ name: 'x' }).where('id', '=', id).execute();
      }),
    async filteredList() {
      const rows = await db
        .selectFrom('Treatment')
        .select(['id', 'name', 'price'])
        .where('price', '>=', FILTER_MIN_PRICE)
        .orderBy('price', 'desc')
        .orderBy('id')
        .limit(FILTER_TAKE)
        .execute();
      return rows.map(filteredRow);
    },
    async count(_s, clinicId) {
      const r = await db
        .selectFrom('TreatmentsByClinic')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('clinicId', '=', clinicId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async nestedFindUnique(_s, clinicId) {
      const clinic = await db.selectFrom('Clinic').select(['id', 'name']).where('id', '=', clinicId).executeTakeFirst();
      if (!clinic) return null;
      const links = await db
        .selectFrom('TreatmentsByClinic as l')
        .innerJoin('Treatment as t', 't.id', 'l.treatmentId')
        .select(['l.id', 't.id as tid', 't.name as tname'])
        .where('l.clinicId', '=', clinicId)
        .orderBy('l.id')
        .execute();
      return { ...clinic, links: links.map((l) => ({ id: l.id, treatment: { id: l.tid, name: l.tname } })) };
    },
    async upsert(s, id, n) {
      requireAdmin(s);
      await db.transaction().execute(async (trx) => {
        const old = await trx
          .selectFrom('Treatment')
          .select(['name'])
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst();
        const row = await trx
          .insertInto('Treatment')
          .values({ id, name: `upserted ${n}`, price: '10.00', updatedAt: sql`now()` })
          .onConflict((oc) => oc.column('id').doUpdateSet({ name: `upserted ${n}`, updatedAt: sql`now()` }))
          .returningAll()
          .executeTakeFirstOrThrow();
        const entry = old
          ? auditValues(s, 'Treatment', 'update', id, old, { name: row.name })
          : auditValues(s, 'Treatment', 'create', id, null, row);
        await trx.insertInto('AuditLog').values(entry).execute();
      });
    },
    async softDelete(s, patientId) {
      requireAdmin(s);
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('Patient')
          .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
          .where('id', '=', patientId)
          .where('deletedAt', 'is', null)
          .returning(['deletedAt'])
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('AuditLog')
          .values(auditValues(s, 'Patient', 'delete', patientId, { deletedAt: null }, row))
          .execute();
      });
    },
    async createMany(s, n) {
      requireAdmin(s);
      await db.transaction().execute(async (trx) => {
        const values = Array.from({ length: BULK_ROWS }, (_, i) => {
          const id = `kym-${n}-${i}-${process.hrtime.bigint()}`;
          return { id, name: `bulk ${id}`, price: '10.00', updatedAt: sql`now()` };
        });
        const rows = await trx.insertInto('Treatment').values(values).returningAll().execute();
        await trx
          .insertInto('AuditLog')
          .values(rows.map((r) => auditValues(s, 'Treatment', 'create', r.id, null, r)))
          .execute();
      });
    },
    close: () => db.destroy(),
  };
}
