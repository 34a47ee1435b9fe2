import type { TRPCRouterRecord } from '@trpc/server';
import { auditList } from '../inputs.ts';
import { auditDto } from '../output.ts';
import { authedProcedure } from '../trpc.ts';

/** The audit log, newest first. ADMIN reads it; for everyone else the rules return nothing. */
export const auditLogRouter = {
  list: authedProcedure.input(auditList).query(async ({ ctx, input }) => {
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
