/**
 * Drizzle ORM (node-postgres driver) as a team would write it: a TypeScript
 * table schema, the relational query API for the list page, and the spec's
 * rules by hand (reads need a session, writes need ADMIN).
 */
import { asc, eq, relations, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, numeric, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { type Contestant, money, refused, requireAdmin, sortPrices } from './contestant-kit.ts';

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
      const [row] = await db
        .insert(treatment)
        .values({
          id: `dz-${n}-${process.hrtime.bigint()}`,
          name: `bench dz ${n}`,
          price: '10.00',
          updatedAt: sql`now()`,
        })
        .returning({ id: treatment.id });
      return row?.id as string;
    },
    async update(s, id, n) {
      requireAdmin(s);
      await db
        .update(treatment)
        .set({ name: `renamed ${n}`, updatedAt: sql`now()` })
        .where(eq(treatment.id, id));
    },
    deniedWrite: (s, id) =>
      refused(async () => {
        requireAdmin(s);
        await db.update(clinic).set({ name: 'x' }).where(eq(clinic.id, id));
      }),
    close: () => pool.end(),
  };
}
