import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { byId, clinicCreate, clinicUpdate, id, page } from '../inputs.ts';
import { clinicDto, formatMoney, pageArgs, toPage } from '../output.ts';
import { authedProcedure } from '../trpc.ts';

export const clinicRouter = {
  list: authedProcedure.input(page).query(async ({ ctx, input }) => {
    const rows = await ctx.db.clinic.findMany({ ...pageArgs(input), orderBy: [{ name: 'asc' }, { id: 'asc' }] });
    return toPage(rows, input.limit, clinicDto);
  }),

  byId: authedProcedure.input(byId).query(async ({ ctx, input }) => {
    const row = await ctx.db.clinic.findUnique({ where: { id: input.id } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'Clinic not found' });
    return clinicDto(row);
  }),

  create: authedProcedure
    .input(clinicCreate)
    .mutation(async ({ ctx, input }) => clinicDto(await ctx.db.clinic.create({ data: input }))),

  update: authedProcedure
    .input(clinicUpdate)
    .mutation(async ({ ctx, input }) =>
      clinicDto(await ctx.db.clinic.update({ where: { id: input.id }, data: input.data })),
    ),

  delete: authedProcedure
    .input(byId)
    .mutation(async ({ ctx, input }) => clinicDto(await ctx.db.clinic.delete({ where: { id: input.id } }))),

  /** The clinic's treatments with the price it charges: its override, else the list price. */
  treatments: authedProcedure.input(id).query(async ({ ctx, input: clinicId }) => {
    const clinic = await ctx.db.clinic.findUnique({
      where: { id: clinicId },
      include: { treatmentsByClinic: { include: { treatment: true } } },
    });
    if (!clinic) throw new TRPCError({ code: 'NOT_FOUND', message: 'Clinic not found' });
    return clinic.treatmentsByClinic
      .map((link) => ({
        treatmentId: link.treatment.id,
        name: link.treatment.name,
        listPrice: formatMoney(link.treatment.price),
        priceOverride: link.priceOverride === null ? null : formatMoney(link.priceOverride),
        effectivePrice: formatMoney(link.priceOverride ?? link.treatment.price),
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.treatmentId.localeCompare(b.treatmentId));
  }),
} satisfies TRPCRouterRecord;
