import type pg from 'pg';

export interface Sizes {
  clinics: number;
  treatments: number;
  links: number;
  /** Patients for the soft-delete workload: each call deletes a fresh one. */
  patients: number;
}

export const FULL: Sizes = { clinics: 10_000, treatments: 500, links: 200_000, patients: 12_000 };
export const QUICK: Sizes = { clinics: 1_000, treatments: 100, links: 10_000, patients: 3_000 };

/**
 * Bulk-loads the dataset with set-based SQL (generate_series), not row by row.
 * Links pair clinic i with `links / clinics` consecutive treatments, a third
 * of them with a price override; ids are deterministic so runs compare.
 */
export async function loadDataset(pool: pg.Pool, s: Sizes): Promise<void> {
  const perClinic = Math.max(1, Math.floor(s.links / s.clinics));
  await pool.query(`
    INSERT INTO "Clinic" (id, name, code, "updatedAt")
    SELECT 'c' || lpad(i::text, 6, '0'), 'Clinic ' || lpad(((i * 7919) % ${s.clinics})::text, 6, '0'), 'C' || i, now()
    FROM generate_series(1, ${s.clinics}) i;
    INSERT INTO "Treatment" (id, name, price, "maintenanceIntervalMonths", "updatedAt")
    SELECT 't' || lpad(i::text, 4, '0'), 'Treatment ' || i, (i % 400 + 19.5)::numeric(10,2), CASE WHEN i % 3 = 0 THEN 6 END, now()
    FROM generate_series(1, ${s.treatments}) i;
    INSERT INTO "TreatmentsByClinic" (id, "clinicId", "treatmentId", "priceOverride", "updatedAt")
    SELECT 'l' || c || '-' || k, 'c' || lpad(c::text, 6, '0'),
           't' || lpad((((c * ${perClinic} + k) % ${s.treatments}) + 1)::text, 4, '0'),
           CASE WHEN k % 3 = 0 THEN ((c + k) % 300 + 9.9)::numeric(10,2) END, now()
    FROM generate_series(1, ${s.clinics}) c, generate_series(0, ${perClinic - 1}) k;
    INSERT INTO "Patient" (id, name, email, "updatedAt", "clinicId")
    SELECT 'p' || lpad(i::text, 6, '0'), 'Patient ' || i, 'patient' || i || '@example.com', now(),
           'c' || lpad(((i % ${s.clinics}) + 1)::text, 6, '0')
    FROM generate_series(1, ${s.patients}) i;
    ANALYZE;
  `);
}
