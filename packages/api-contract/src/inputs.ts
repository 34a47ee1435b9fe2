/**
 * Input validation for every router, in one place. Model fields come from
 * the zmodel (model-inputs.ts): their text limits are the schema's own
 * `@length` / `@email`. What is here is the API's part: ids, paging, money
 * as exact strings, dates, and which fields the server manages.
 */
import Decimal from 'decimal.js';
import { z } from 'zod';
import { cleanText, id, modelSchemas, withApiText } from './model-inputs.ts';

export { id };

/** Limits of the API itself; the models' field limits live in zenstack/models/*.zmodel. */
export const LIMITS = { id: 64, pageSize: 100 } as const;

/** Money as a decimal string with at most 8 integer digits and 2 decimals (Decimal(10,2)), e.g. "1234.50". */
export const money = z
  .string()
  .trim()
  .regex(/^\d{1,8}(\.\d{1,2})?$/, 'must be a non-negative amount like 1234.50 (max 99999999.99)')
  .transform((v) => new Decimal(v));

export const page = z
  .object({
    limit: z.number().int().min(1).max(LIMITS.pageSize).default(20),
    cursor: id.optional(),
  })
  .strict()
  .default({ limit: 20 });

export const byId = z.object({ id }).strict();

// Each model's writable fields: what the server or the database sets (ids, timestamps, deletedAt) is omitted.
const clinicFields = modelSchemas
  .makeModelSchema('Clinic', { optionality: 'defaults' })
  .omit({ id: true, createdAt: true, updatedAt: true });
const treatmentFields = modelSchemas
  .makeModelSchema('Treatment', { optionality: 'defaults' })
  .omit({ id: true, createdAt: true, updatedAt: true });
const treatmentsByClinicFields = modelSchemas
  .makeModelSchema('TreatmentsByClinic', { optionality: 'defaults' })
  .omit({ id: true, createdAt: true, updatedAt: true });
const patientFields = modelSchemas
  .makeModelSchema('Patient', { optionality: 'defaults' })
  .omit({ id: true, createdAt: true, updatedAt: true, deletedAt: true });
const clinicMembershipFields = modelSchemas
  .makeModelSchema('ClinicMembership', { optionality: 'defaults' })
  .omit({ id: true, createdAt: true, updatedAt: true });

export const clinicCreate = withApiText('Clinic', clinicFields);
export const clinicUpdate = z.object({ id, data: clinicCreate.partial().strict() }).strict();

export const treatmentCreate = withApiText('Treatment', treatmentFields).extend({
  price: money,
  maintenanceIntervalMonths: z.number().int().min(1).max(120).nullish(),
});
export const treatmentUpdate = z.object({ id, data: treatmentCreate.partial().strict() }).strict();

export const linkCreate = withApiText('TreatmentsByClinic', treatmentsByClinicFields).extend({
  priceOverride: money.nullish(),
});
export const linkUpdate = z
  .object({ id, data: linkCreate.pick({ priceOverride: true, notes: true }).partial().strict() })
  .strict();

/** A calendar date, "YYYY-MM-DD", not in the future and not before 1900. */
export const isoDate = z.iso
  .date()
  .transform((v) => new Date(`${v}T00:00:00.000Z`))
  .refine((d) => d.getUTCFullYear() >= 1900 && d.getTime() <= Date.now(), 'must be a date between 1900 and today');

export const patientCreate = withApiText('Patient', patientFields).extend({ dateOfBirth: isoDate.nullish() });
export const patientUpdate = z.object({ id, data: patientCreate.partial().strict() }).strict();
export const patientList = z
  .object({ clinicId: id.optional(), limit: page.unwrap().shape.limit, cursor: id.optional() })
  .strict()
  .default({ limit: 20 });

export const clinicRole = modelSchemas.makeEnumSchema('ClinicRole');
export const membershipCreate = withApiText('ClinicMembership', clinicMembershipFields).extend({
  role: clinicRole.default('STAFF'),
});
export const membershipUpdate = z.object({ id, data: z.object({ role: clinicRole }).strict() }).strict();
export const membershipList = z
  .object({ clinicId: id.optional(), userId: membershipCreate.shape.userId.optional() })
  .strict()
  .default({});

export const auditList = z
  .object({
    model: cleanText().min(1).max(64).optional(),
    recordId: id.optional(),
    limit: page.unwrap().shape.limit,
    /** The last id of the previous page (ids are decimal strings; the log is newest first). */
    cursor: z
      .string()
      .regex(/^\d{1,19}$/)
      .optional(),
  })
  .strict()
  .default({ limit: 20 });
