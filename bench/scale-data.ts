/**
 * The scale bench's dataset (bench/scale.ts): bench/dataset.ts loads the
 * first size, then `growClinics` adds clinics to the same database, set-based,
 * with the same shape (links to consecutive treatments, a third with a price
 * override), so 10k → 100k → 1M grows one database instead of reloading.
 */
import type pg from 'pg';
import { loadDataset } from './dataset.ts';

export const TREATMENTS = 500;

/**
 * dataset.ts's ids ('c' + 6 digits) for clinics below 1,000,000, and the
 * plain number above, where `lpad(…, 6)` would cut 'c1000000' to 'c100000'.
 */
export const clinicId = (i: number) => `c${String(i).padStart(6, '0')}`;
const CLINIC_ID_SQL = `'c' || lpad(i::text, greatest(6, length(i::text)), '0')`;

/** A seeded generator (mulberry32): the same random clinics every run, spread over the whole table. */
export function randomClinics(seed: number, size: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return clinicId((((t ^ (t >>> 14)) >>> 0) % size) + 1);
  };
}

/** Clinics per INSERT while growing: a progress line each, and no single 20M-row statement. */
const BATCH = 100_000;

export async function loadFirst(pool: pg.Pool, clinics: number, perClinic: number): Promise<void> {
  await loadDataset(pool, { clinics, treatments: TREATMENTS, links: clinics * perClinic, patients: 0 });
}

/**
 * Adds clinics `from + 1 … to` and their links. Names are spread with the
 * same multiplier as dataset.ts (over the new size, in bigint: i * 7919
 * leaves int4 above ~270k clinics), so a page by name mixes old and new rows.
 */
export async function growClinics(
  pool: pg.Pool,
  from: number,
  to: number,
  perClinic: number,
  log: (line: string) => void,
): Promise<void> {
  const c = await pool.connect();
  try {
    // The per-row foreign-key triggers were most of the load time (~45k links/s); the rows reference
    // existing clinics and treatments by construction, and `checkReferences` proves it set-based after.
    await c.query('SET session_replication_role = replica');
    for (let lo = from + 1; lo <= to; lo += BATCH) {
      await growBatch(c, lo, Math.min(to, lo + BATCH - 1), to, perClinic);
      log(`  clinics ${Math.min(to, lo + BATCH - 1).toLocaleString('en-US')} of ${to.toLocaleString('en-US')}`);
    }
  } finally {
    await c.query('RESET session_replication_role').catch(() => {});
    c.release();
  }
  await checkReferences(pool);
}

async function growBatch(c: pg.PoolClient, lo: number, hi: number, to: number, perClinic: number) {
  await c.query(
    `INSERT INTO "Clinic" (id, name, code, "updatedAt")
       SELECT ${CLINIC_ID_SQL}, 'Clinic ' || lpad(((i::bigint * 7919) % $3)::text, 7, '0'), 'C' || i, now()
       FROM generate_series($1::int, $2::int) i`,
    [lo, hi, to],
  );
  await c.query(
    `INSERT INTO "TreatmentsByClinic" (id, "clinicId", "treatmentId", "priceOverride", "updatedAt")
       SELECT 'l' || i || '-' || k, ${CLINIC_ID_SQL},
              't' || lpad((((i * $3 + k) % ${TREATMENTS}) + 1)::text, 4, '0'),
              CASE WHEN k % 3 = 0 THEN ((i + k) % 300 + 9.9)::numeric(10,2) END, now()
       FROM generate_series($1::int, $2::int) i, generate_series(0, $3::int - 1) k`,
    [lo, hi, perClinic],
  );
}

/** What the skipped foreign-key triggers would have checked, for every link at once. */
async function checkReferences(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "TreatmentsByClinic" l
     WHERE NOT EXISTS (SELECT 1 FROM "Clinic" c WHERE c.id = l."clinicId")
        OR NOT EXISTS (SELECT 1 FROM "Treatment" t WHERE t.id = l."treatmentId")`,
  );
  if (rows[0]?.n !== 0) throw new Error(`${rows[0]?.n} links reference no clinic or treatment`);
}

/**
 * After each load: ANALYZE for the planner, VACUUM for the visibility map
 * (index-only scans), so autovacuum does not start on 20M fresh rows in the
 * middle of a measurement.
 */
export async function settle(pool: pg.Pool): Promise<void> {
  await pool.query('VACUUM (ANALYZE) "Clinic", "TreatmentsByClinic", "Treatment"');
}

export async function tableSizes(pool: pg.Pool) {
  const { rows } = await pool.query<{ clinics: number; links: number; bytes: string }>(
    `SELECT (SELECT count(*)::int FROM "Clinic") AS clinics, (SELECT count(*)::int FROM "TreatmentsByClinic") AS links,
            pg_size_pretty(pg_database_size(current_database())) AS bytes`,
  );
  return rows[0] as { clinics: number; links: number; bytes: string };
}
