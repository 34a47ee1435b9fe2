/**
 * Input validation for every router, in one place. Limits mirror the database:
 * Decimal(10,2) money, and text bounded so a request cannot store megabytes.
 */
import Decimal from 'decimal.js';
import { z } from 'zod';

export const LIMITS = { name: 200, code: 32, description: 2000, notes: 2000, pageSize: 100 } as const;

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
