import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { byId, page, treatmentCreate, treatmentUpdate } from '../inputs.ts';
import { pageArgs, toPage, treatmentDto } from '../output.ts';
import { authedProcedure } from '../trpc.ts';

export const treatmentRouter = {
  list: authedProcedure.input(page).query(async ({ ctx, input }) => {
    const rows = await ctx.db.treatment.findMany({ ...pageArgs(input), orderBy: [{ name: 'asc' }, { id: 'asc' }] });
    return toPage(rows, input.limit, treatmentDto);
  }),

  byId: authedProcedure.input(byId).query(async ({ ctx, input }) => {
    const row = await ctx.db.treatment.findUnique({ where: { id: input.id } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'Treatment not found' });
    return treatmentDto(row);
  }),

  create: authedProcedure
    .input(treatmentCreate)
    .mutation(async ({ ctx, input }) => treatmentDto(await ctx.db.treatment.create({ data: input }))),

  update: authedProcedure
    .input(treatmentUpdate)
    .mutation(async ({ ctx, input }) =>
      treatmentDto(await ctx.db.treatment.update({ where: { id: input.id }, data: input.data })),
    ),

  delete: authedProcedure
    .input(byId)
    .mutation(async ({ ctx, input }) => treatmentDto(await ctx.db.treatment.delete({ where: { id: input.id } }))),
} satisfies TRPCRouterRecord;
