import type { TRPCRouterRecord } from '@trpc/server';
import { byId, membershipCreate, membershipList, membershipUpdate } from '../inputs.ts';
import { membershipDto } from '../output.ts';
import { authedProcedure } from '../trpc.ts';

/** Clinic memberships: ADMIN manages them; a user sees their own. */
export const membershipRouter = {
  list: authedProcedure.input(membershipList).query(async ({ ctx, input }) => {
    const rows = await ctx.db.clinicMembership.findMany({
      where: {
        ...(input.clinicId ? { clinicId: input.clinicId } : {}),
        ...(input.userId ? { userId: input.userId } : {}),
      },
      orderBy: [{ clinicId: 'asc' }, { userId: 'asc' }],
      take: 1000,
    });
    return rows.map(membershipDto);
  }),

  /** The caller's own clinics, as loadSession sees them. */
  mine: authedProcedure.query(({ ctx }) => ctx.session.memberships),

  create: authedProcedure
    .input(membershipCreate)
    .mutation(async ({ ctx, input }) => membershipDto(await ctx.db.clinicMembership.create({ data: input }))),

  update: authedProcedure
    .input(membershipUpdate)
    .mutation(async ({ ctx, input }) =>
      membershipDto(await ctx.db.clinicMembership.update({ where: { id: input.id }, data: input.data })),
    ),

  delete: authedProcedure
    .input(byId)
    .mutation(async ({ ctx, input }) =>
      membershipDto(await ctx.db.clinicMembership.delete({ where: { id: input.id } })),
    ),
} satisfies TRPCRouterRecord;
