/**
 * Drizzle ORM (node-postgres driver) as a team would write it: a TypeScript
 * table schema, the relational query API for the list page, and the spec's
 * rules by hand (reads need a session, writes need ADMIN).
 */
import { and, asc, count, desc, eq, gte, isNull, relations, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { bigserial, integer, jsonb, numeric, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import pg from 'pg';
import {
  auditValues,
  BULK_ROWS,
  type Contestant,
  FILTER_MIN_PRICE,
  FILTER_TAKE,
  filteredRow,
  money,
  refused,
  requireAdmin,
  sortPrices,
} from './contestant-kit.ts';

const clinic = pgTable('Clinic', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  code: text('code').notNull(),
  createdAt: timestamp('createdAt', { precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updatedAt', { precision: 3 }).notNull(),
});
const treatment = pgTable('Treatment', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description'),
  price: numeric('price', { precision: 10, scale: 2 }).notNull(),
  maintenanceIntervalMonths: integer('maintenanceIntervalMonths'),
  createdAt: timestamp('createdAt', { precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updatedAt', { precision: 3 }).notNull(),
});
const treatmentsByClinic = pgTable('TreatmentsByClinic', {
  id: text('id').primaryKey(),
  clinicId: text('clinicId').notNull(),
  treatmentId: text('treatmentId').notNull(),
  priceOverride: numeric('priceOverride', { precision: 10, scale: 2 }),
  notes: text('notes'),
});
const patient = pgTable('Patient', {
  id: text('id').primaryKey(),
  deletedAt: timestamp('deletedAt', { precision: 3 }),
  updatedAt: timestamp('updatedAt', { precision: 3 }).notNull(),
});
const auditLog = pgTable('AuditLog', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  actorId: text('actorId').notNull(),
  actorRole: text('actorRole').notNull(),
  model: text('model').notNull(),
  action: text('action').notNull(),
  recordId: text('recordId').notNull(),
  before: jsonb('before'),
  after: jsonb('after'),
});
/** The audit row as Drizzle's jsonb columns take it (objects, not JSON text). */
const audit = (...args: Parameters<typeof auditValues>) => {
  const [, , , , before, after] = args;
  return { ...auditValues(...args), before, after };
};
const clinicRelations = relations(clinic, ({ many }) => ({ links: many(treatmentsByClinic) }));
const linkRelations = relations(treatmentsByClinic, ({ one }) => ({
  clinic: one(clinic, { fields: [treatmentsByClinic.clinicId], references: [clinic.id] }),
  treatment: one(treatment, { fields: [treatmentsByClinic.treatmentId], references: [treatment.id] }),
}));

export function drizzleOrm(url: string): Contestant {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const db = drizzle(pool, {
    schema: { clinic, treatment, treatmentsByClinic, clinicRelations, linkRelations },
  });
  return {
    name: 'Drizzle',
    findUnique: async (_s, id) =>
      (await db.query.clinic.findFirst({ where: eq(clinic.id, id), columns: { id: true, name: true, code: true } })) ??
      null,
    async listPage() {
      const rows = await db.query.clinic.findMany({
        columns: { id: true },
        orderBy: [asc(clinic.name), asc(clinic.id)],
        limit: 50,
        with: {
          links: {
            columns: { id: true },
            orderBy: [asc(treatmentsByClinic.id)],
            with: { treatment: { columns: { id: true, name: true } } },
          },
        },
      });
      return rows.map((c) => ({
        id: c.id,
        links: c.links.map((l) => ({ id: l.id, treatmentId: l.treatment.id, treatmentName: l.treatment.name })),
      }));
    },
    async clinicTreatments(_s, clinicId) {
      const rows = await db
        .select({
          treatmentId: treatment.id,
          effectivePrice: sql<string>`COALESCE(${treatmentsByClinic.priceOverride}, ${treatment.price})::text`,
        })
        .from(treatmentsByClinic)
        .innerJoin(treatment, eq(treatment.id, treatmentsByClinic.treatmentId))
        .where(eq(treatmentsByClinic.clinicId, clinicId));
      return sortPrices(rows.map((r) => ({ treatmentId: r.treatmentId, effectivePrice: money(r.effectivePrice) })));
    },
    async create(s, n) {
      requireAdmin(s);
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(treatment)
          .values({
            id: `dz-${n}-${process.hrtime.bigint()}`,
            name: `bench dz ${n}`,
            price: '10.00',
            updatedAt: sql`now()`,
          })
          .returning();
        if (!row) throw new Error('no row');
        await tx.insert(auditLog).values(audit(s, 'Treatment', 'create', row.id, null, row));
        return row.id;
      });
    },
    async update(s, id, n) {
      requireAdmin(s);
      await db.transaction(async (tx) => {
        const [old] = await tx
          .select({ name: treatment.name, updatedAt: treatment.updatedAt })
          .from(treatment)
          .where(eq(treatment.id, id))
          .for('update');
        const [row] = await tx
          .update(treatment)
          .set({ name: `renamed ${n}`, updatedAt: sql`now()` })
          .where(eq(treatment.id, id))
          .returning({ name: treatment.name, updatedAt: treatment.updatedAt });
        if (!old || !row) throw new Error('no row');
        await tx.insert(auditLog).values(audit(s, 'Treatment', 'update', id, old, row));
      });
    },
    async upsert(s, id, n) {
      requireAdmin(s);
      await db.transaction(async (tx) => {
        const [old] = await tx
          .select({ name: treatment.name })
          .from(treatment)
          .where(eq(treatment.id, id))
          .for('update');
        const [row] = await tx
          .insert(treatment)
          .values({ id, name: `upserted ${n}`, price: '10.00', updatedAt: sql`now()` })
          .onConflictDoUpdate({ target: treatment.id, set: { name: `upserted ${n}`, updatedAt: sql`now()` } })
          .returning();
        if (!row) throw new Error('no row');
        await tx
          .insert(auditLog)
          .values(
            old
              ? audit(s, 'Treatment', 'update', id, old, { name: row.name })
              : audit(s, 'Treatment', 'create', id, null, row),
          );
      });
    },
    async softDelete(s, patientId) {
      requireAdmin(s);
      await db.transaction(async (tx) => {
        const [row] = await tx
          .update(patient)
          .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
          .where(and(eq(patient.id, patientId), isNull(patient.deletedAt)))
          .returning({ deletedAt: patient.deletedAt });
        if (!row) throw new Error('no row');
        await tx.insert(auditLog).values(audit(s, 'Patient', 'delete', patientId, { deletedAt: null }, row));
      });
    },
    async createMany(s, n) {
      requireAdmin(s);
      await db.transaction(async (tx) => {
        const values = Array.from({ length: BULK_ROWS }, (_, i) => {
          const id = `dzm-${n}-${i}-${process.hrtime.bigint()}`;
          return { id, name: `bulk ${id}`, price: '10.00', updatedAt: sql`now()` };
        });
        const rows = await tx.insert(treatment).values(values).returning();
        await tx.insert(auditLog).values(rows.map((r) => audit(s, 'Treatment', 'create', r.id, null, r)));
      });
    },
    async filteredList() {
      const rows = await db
        .select({ id: treatment.id, name: treatment.name, price: treatment.price })
        .from(treatment)
        .where(gte(treatment.price, String(FILTER_MIN_PRICE)))
        .orderBy(desc(treatment.price), asc(treatment.id))
        .limit(FILTER_TAKE);
      return rows.map(filteredRow);
    },
    async count(_s, clinicId) {
      const [r] = await db
        .select({ n: count() })
        .from(treatmentsByClinic)
        .where(eq(treatmentsByClinic.clinicId, clinicId));
      return r?.n ?? 0;
    },
    async nestedFindUnique(_s, clinicId) {
      const c = await db.query.clinic.findFirst({
        where: eq(clinic.id, clinicId),
        columns: { id: true, name: true },
        with: {
          links: {
            columns: { id: true },
            orderBy: [asc(treatmentsByClinic.id)],
            with: { treatment: { columns: { id: true, name: true } } },
          },
        },
      });
      return c ?? null;
    },
    deniedWrite: (s, id) =>
      refused(async () => {
        requireAdmin(s);
        await db.update(clinic).set({ name: 'x' }).where(eq(clinic.id, id));
      }),
    close: () => pool.end(),
  };
}
