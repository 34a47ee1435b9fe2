import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { byId, linkCreate, linkUpdate, page } from '../inputs.ts';
import { linkDto, pageArgs, toPage } from '../output.ts';
import { authedProcedure } from '../trpc.ts';

export const treatmentsByClinicRouter = {
  list: authedProcedure.input(page).query(async ({ ctx, input }) => {
    const rows = await ctx.db.treatmentsByClinic.findMany({
      ...pageArgs(input),
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return toPage(rows, input.limit, linkDto);
  }),

  byId: authedProcedure.input(byId).query(async ({ ctx, input }) => {
    const row = await ctx.db.treatmentsByClinic.findUnique({ where: { id: input.id } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'Link not found' });
    return linkDto(row);
  }),

  create: authedProcedure
    .input(linkCreate)
    .mutation(async ({ ctx, input }) => linkDto(await ctx.db.treatmentsByClinic.create({ data: input }))),

  update: authedProcedure
    .input(linkUpdate)
    .mutation(async ({ ctx, input }) =>
      linkDto(await ctx.db.treatmentsByClinic.update({ where: { id: input.id }, data: input.data })),
    ),

  delete: authedProcedure
    .input(byId)
    .mutation(async ({ ctx, input }) => linkDto(await ctx.db.treatmentsByClinic.delete({ where: { id: input.id } }))),
} satisfies TRPCRouterRecord;
