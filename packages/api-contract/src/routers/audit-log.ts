import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { auditList } from '../inputs.ts';
import { auditDto } from '../output.ts';
import { authedProcedure } from '../trpc.ts';

/**
 * The audit log, newest first, for ADMIN. Anyone else gets FORBIDDEN rather
 * than the empty page the rules alone would give: the log is not theirs to
 * read at all (README, AuditLog policy), and an empty 200 reads like "no
 * activity". The rules still filter, should this check ever go.
 */
export const auditLogRouter = {
  list: authedProcedure.input(auditList).query(async ({ ctx, input }) => {
    if (ctx.session.role !== 'ADMIN') throw new TRPCError({ code: 'FORBIDDEN', message: 'The audit log is for ADMIN' });
    const rows = await ctx.db.auditLog.findMany({
      where: {
        ...(input.model ? { model: input.model } : {}),
        ...(input.recordId ? { recordId: input.recordId } : {}),
        // The ORM types BigInt filters as number; a bigint is what keeps ids past 2^53 exact.
        ...(input.cursor ? { id: { lt: BigInt(input.cursor) as never } } : {}),
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    });
    const hasMore = rows.length > input.limit;
    const items = (hasMore ? rows.slice(0, input.limit) : rows).map(auditDto);
    return { items, nextCursor: hasMore ? (items.at(-1)?.id ?? null) : null };
  }),
} satisfies TRPCRouterRecord;
