/**
 * Prisma 7 (`prisma-client` generator, `@prisma/adapter-pg`, no Rust engine)
 * with the spec's rules by hand, as a Prisma team would write it.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { type Contestant, money, refused, requireAdmin, sortPrices, toPageRow } from '../contestant-kit.ts';
import { PrismaClient } from './generated/client.ts';

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
    async create(s, n) {
      requireAdmin(s);
      const row = await prisma.treatment.create({
        data: { id: `p7-${n}-${process.hrtime.bigint()}`, name: `bench p7 ${n}`, price: '10.00' },
        select: { id: true },
      });
      return row.id;
    },
    async update(s, id, n) {
      requireAdmin(s);
      await prisma.treatment.update({ where: { id }, data: { name: `renamed ${n}` }, select: { id: true } });
    },
    deniedWrite: (s, id) =>
      refused(async () => {
        requireAdmin(s);
        await prisma.clinic.update({ where: { id }, data: { name: 'x' } });
      }),
    close: () => prisma.$disconnect(),
  };
}
