import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { byId, patientCreate, patientList, patientUpdate } from '../inputs.ts';
import { pageArgs, patientDto, toPage } from '../output.ts';
import { authedProcedure } from '../trpc.ts';

/**
 * Patients of the caller's clinics. Which rows a caller sees and may change
 * is decided by the rules in zenstack/models/patient.zmodel, not here.
 */
export const patientRouter = {
  list: authedProcedure.input(patientList).query(async ({ ctx, input }) => {
    const rows = await ctx.db.patient.findMany({
      ...pageArgs(input),
      ...(input.clinicId ? { where: { clinicId: input.clinicId } } : {}),
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
    });
    return toPage(rows, input.limit, patientDto);
  }),

  byId: authedProcedure.input(byId).query(async ({ ctx, input }) => {
    const row = await ctx.db.patient.findUnique({ where: { id: input.id } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'Patient not found' });
    return patientDto(row);
  }),

  create: authedProcedure
    .input(patientCreate)
    .mutation(async ({ ctx, input }) => patientDto(await ctx.db.patient.create({ data: input }))),

  update: authedProcedure
    .input(patientUpdate)
    .mutation(async ({ ctx, input }) =>
      patientDto(await ctx.db.patient.update({ where: { id: input.id }, data: input.data })),
    ),

  /** Soft delete: the row stays, marked, and only ADMIN can see or restore it. Returns the marked row. */
  delete: authedProcedure.input(byId).mutation(async ({ ctx, input }) => {
    // The ORM returns the row as read before the delete; the marked row is the truthful answer.
    const before = await ctx.db.patient.delete({ where: { id: input.id } });
    const marked = await ctx.dbIncludingDeleted.patient.findUnique({ where: { id: input.id } });
    return patientDto(marked ?? before);
  }),

  /** Soft-deleted patients, newest deletion first (ADMIN; others get an empty page). */
  listDeleted: authedProcedure.input(patientList).query(async ({ ctx, input }) => {
    const rows = await ctx.dbIncludingDeleted.patient.findMany({
      ...pageArgs(input),
      where: { deletedAt: { not: null }, ...(input.clinicId ? { clinicId: input.clinicId } : {}) },
      orderBy: [{ deletedAt: 'desc' }, { id: 'asc' }],
    });
    return toPage(rows, input.limit, patientDto);
  }),

  restore: authedProcedure.input(byId).mutation(async ({ ctx, input }) =>
    patientDto(
      await ctx.dbIncludingDeleted.patient.update({
        where: { id: input.id, deletedAt: { not: null } },
        data: { deletedAt: null },
      }),
    ),
  ),
} satisfies TRPCRouterRecord;
