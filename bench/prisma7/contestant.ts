/**
 * Prisma 7 (`prisma-client` generator, `@prisma/adapter-pg`, no Rust engine)
 * with the spec's rules by hand, as a Prisma team would write it.
 */
import { PrismaPg } from '@prisma/adapter-pg';
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
  toPageRow,
} from '../contestant-kit.ts';
import { Prisma, PrismaClient } from './generated/client.ts';

/** The audit row as Prisma's Json columns take it (values, not JSON text). */
const audit = (...args: Parameters<typeof auditValues>) => {
  const [, , , , before, after] = args;
  const json = (v: Record<string, unknown> | null) =>
    v === null ? Prisma.DbNull : (JSON.parse(JSON.stringify(v)) as object);
  return { ...auditValues(...args), before: json(before), after: json(after) };
};

export function prisma7(url: string): Contestant {
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
  return {
    name: 'Prisma 7',
    findUnique: (_s, id) => prisma.clinic.findUnique({ where: { id }, select: { id: true, name: true, code: true } }),
    async listPage() {
      const rows = await prisma.clinic.findMany({
        select: {
          id: true,
          treatmentsByClinic: {
            orderBy: { id: 'asc' },
            select: { id: true, treatment: { select: { id: true, name: true } } },
          },
        },
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
        take: 50,
      });
      return rows.map(toPageRow);
    },
    async clinicTreatments(_s, clinicId) {
      const links = await prisma.treatmentsByClinic.findMany({
        where: { clinicId },
        select: { priceOverride: true, treatment: { select: { id: true, price: true } } },
      });
      return sortPrices(
        links.map((l) => ({
          treatmentId: l.treatment.id,
          effectivePrice: money(l.priceOverride ?? l.treatment.price),
        })),
      );
    },
    // Writes with their audit row, in one transaction, as a Prisma user would ($transaction).
    async create(s, n) {
      requireAdmin(s);
      return prisma.$transaction(async (tx) => {
        const row = await tx.treatment.create({
          data: { id: `p7-${n}-${process.hrtime.bigint()}`, name: `bench p7 ${n}`, price: '10.00' },
        });
        await tx.auditLog.create({ data: audit(s, 'Treatment', 'create', row.id, null, row) });
        return row.id;
      });
    },
    async update(s, id, n) {
      requireAdmin(s);
      await prisma.$transaction(async (tx) => {
        const old = await tx.treatment.findUniqueOrThrow({ where: { id }, select: { name: true, updatedAt: true } });
        const row = await tx.treatment.update({
          where: { id },
          data: { name: `renamed ${n}` },
          select: { name: true, updatedAt: true },
        });
        await tx.auditLog.create({ data: audit(s, 'Treatment', 'update', id, old, row) });
      });
    },
    async upsert(s, id, n) {
      requireAdmin(s);
      await prisma.$transaction(async (tx) => {
        const old = await tx.treatment.findUnique({ where: { id }, select: { name: true } });
        const row = await tx.treatment.upsert({
          where: { id },
          create: { id, name: `upserted ${n}`, price: '10.00' },
          update: { name: `upserted ${n}` },
        });
        await tx.auditLog.create({
          data: old
            ? audit(s, 'Treatment', 'update', id, old, { name: row.name })
            : audit(s, 'Treatment', 'create', id, null, row),
        });
      });
    },
    async softDelete(s, patientId) {
      requireAdmin(s);
      await prisma.$transaction(async (tx) => {
        const row = await tx.patient.update({
          where: { id: patientId, deletedAt: null },
          data: { deletedAt: new Date() },
          select: { deletedAt: true },
        });
        await tx.auditLog.create({ data: audit(s, 'Patient', 'delete', patientId, { deletedAt: null }, row) });
      });
    },
    async createMany(s, n) {
      requireAdmin(s);
      await prisma.$transaction(async (tx) => {
        const data = Array.from({ length: BULK_ROWS }, (_, i) => {
          const id = `p7m-${n}-${i}-${process.hrtime.bigint()}`;
          return { id, name: `bulk ${id}`, price: '10.00' };
        });
        const rows = await tx.treatment.createManyAndReturn({ data });
        await tx.auditLog.createMany({ data: rows.map((r) => audit(s, 'Treatment', 'create', r.id, null, r)) });
      });
    },
    async filteredList() {
      const rows = await prisma.treatment.findMany({
        where: { price: { gte: FILTER_MIN_PRICE } },
        orderBy: [{ price: 'desc' }, { id: 'asc' }],
        take: FILTER_TAKE,
        select: { id: true, name: true, price: true },
      });
      return rows.map(filteredRow);
    },
    count: (_s, clinicId) => prisma.treatmentsByClinic.count({ where: { clinicId } }),
    async nestedFindUnique(_s, clinicId) {
      const c = await prisma.clinic.findUnique({
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
    deniedWrite: (s, id) =>
      refused(async () => {
        requireAdmin(s);
        await prisma.clinic.update({ where: { id }, data: { name: 'x' } });
      }),
    close: () => prisma.$disconnect(),
  };
}
