/**
 * Input validation for every router, in one place. Limits mirror the database:
 * Decimal(10,2) money, and text bounded so a request cannot store megabytes.
 */
import Decimal from 'decimal.js';
import { z } from 'zod';

export const LIMITS = {
  name: 200,
  code: 32,
  description: 2000,
  notes: 2000,
  email: 320,
  phone: 40,
  userId: 128,
  pageSize: 100,
} as const;

export const id = z.string().trim().min(1).max(64);

/** Money as a decimal string with at most 8 integer digits and 2 decimals, e.g. "1234.50". */
export const money = z
  .string()
  .trim()
  .regex(/^\d{1,8}(\.\d{1,2})?$/, 'must be a non-negative amount like 1234.50 (max 99999999.99)')
  .transform((v) => new Decimal(v));

const text = (max: number) => z.string().trim().min(1).max(max);

export const page = z
  .object({
    limit: z.number().int().min(1).max(LIMITS.pageSize).default(20),
    cursor: id.optional(),
  })
  .strict()
  .default({ limit: 20 });

export const byId = z.object({ id }).strict();

export const clinicCreate = z.object({ name: text(LIMITS.name), code: text(LIMITS.code) }).strict();
export const clinicUpdate = z.object({ id, data: clinicCreate.partial().strict() }).strict();

export const treatmentCreate = z
  .object({
    name: text(LIMITS.name),
    description: z.string().trim().max(LIMITS.description).nullish(),
    price: money,
    maintenanceIntervalMonths: z.number().int().min(1).max(120).nullish(),
  })
  .strict();
export const treatmentUpdate = z.object({ id, data: treatmentCreate.partial().strict() }).strict();

export const linkCreate = z
  .object({
    clinicId: id,
    treatmentId: id,
    priceOverride: money.nullish(),
    notes: z.string().trim().max(LIMITS.notes).nullish(),
  })
  .strict();
export const linkUpdate = z
  .object({ id, data: linkCreate.pick({ priceOverride: true, notes: true }).partial().strict() })
  .strict();

/** A calendar date, "YYYY-MM-DD", not in the future and not before 1900. */
export const isoDate = z.iso
  .date()
  .transform((v) => new Date(`${v}T00:00:00.000Z`))
  .refine((d) => d.getUTCFullYear() >= 1900 && d.getTime() <= Date.now(), 'must be a date between 1900 and today');

export const patientCreate = z
  .object({
    clinicId: id,
    name: text(LIMITS.name),
    email: z.email().max(LIMITS.email),
    phone: z.string().trim().max(LIMITS.phone).nullish(),
    dateOfBirth: isoDate.nullish(),
  })
  .strict();
export const patientUpdate = z.object({ id, data: patientCreate.partial().strict() }).strict();
export const patientList = z
  .object({ clinicId: id.optional(), limit: page.unwrap().shape.limit, cursor: id.optional() })
  .strict()
  .default({ limit: 20 });

export const clinicRole = z.enum(['STAFF', 'VIEWER']);
export const membershipCreate = z
  .object({ userId: z.string().trim().min(1).max(LIMITS.userId), clinicId: id, role: clinicRole.default('STAFF') })
  .strict();
export const membershipUpdate = z.object({ id, data: z.object({ role: clinicRole }).strict() }).strict();
export const membershipList = z
  .object({ clinicId: id.optional(), userId: z.string().trim().min(1).max(LIMITS.userId).optional() })
  .strict()
  .default({});

export const auditList = z
  .object({
    model: z.string().trim().min(1).max(64).optional(),
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
