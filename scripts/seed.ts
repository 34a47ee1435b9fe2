/**
 * `pnpm db:seed` — deterministic development data: clinics, treatments and
 * links with and without price overrides. Idempotent: every row has a fixed
 * id or unique code and is upserted, so a second run leaves the same rows.
 *
 * Seeding is a system job, so it writes with a client that has no access
 * rules. That client lives here, not in the package's exports.
 */
import { ZenStackClient } from '@zenstackhq/orm';
import { PostgresDialect } from '@zenstackhq/orm/dialects/postgres';
import Decimal from 'decimal.js';
import { readDbConfig } from '../src/config.ts';
import { openPool } from '../src/pool.ts';
import { schema } from '../zenstack/schema.ts';
import { describeTarget } from './lib/database.ts';
import { loadDotEnv } from './lib/tool-env.ts';

const CLINICS = [
  { id: 'seed-clinic-north', code: 'NORTH', name: 'Acme Clinic North' },
  { id: 'seed-clinic-south', code: 'SOUTH', name: 'Acme Clinic South' },
  { id: 'seed-clinic-harbour', code: 'HARB', name: 'Acme Harbour Dental' },
];

const TREATMENTS = [
  { id: 'seed-treatment-cleaning', name: 'Dental cleaning', price: '85.00', maintenanceIntervalMonths: 6 },
  { id: 'seed-treatment-whitening', name: 'Teeth whitening', price: '249.00', maintenanceIntervalMonths: 12 },
  { id: 'seed-treatment-filling', name: 'Composite filling', price: '139.50', maintenanceIntervalMonths: null },
  { id: 'seed-treatment-checkup', name: 'Annual check-up', price: '60.00', maintenanceIntervalMonths: 12 },
];

// [clinic, treatment, price override or null for the list price]
const LINKS: [string, string, string | null][] = [
  ['seed-clinic-north', 'seed-treatment-cleaning', null],
  ['seed-clinic-north', 'seed-treatment-whitening', '229.00'],
  ['seed-clinic-north', 'seed-treatment-checkup', null],
  ['seed-clinic-south', 'seed-treatment-cleaning', '79.90'],
  ['seed-clinic-south', 'seed-treatment-filling', null],
  ['seed-clinic-harbour', 'seed-treatment-whitening', null],
  ['seed-clinic-harbour', 'seed-treatment-checkup', '55.00'],
];

loadDotEnv();
const config = readDbConfig();
console.log(`[db] seed: ${describeTarget(config.connectionString)}`);
const db = new ZenStackClient(schema, { dialect: new PostgresDialect({ pool: openPool(config) }) });
try {
  await db.$transaction(async (tx) => {
    for (const { id, ...c } of CLINICS) await tx.clinic.upsert({ where: { id }, create: { id, ...c }, update: c });
    for (const { id, price, ...t } of TREATMENTS) {
      const data = { ...t, price: new Decimal(price) };
      await tx.treatment.upsert({ where: { id }, create: { id, ...data }, update: data });
    }
    for (const [clinicId, treatmentId, override] of LINKS) {
      const priceOverride = override === null ? null : new Decimal(override);
      await tx.treatmentsByClinic.upsert({
        where: { clinicId_treatmentId: { clinicId, treatmentId } },
        create: { clinicId, treatmentId, priceOverride },
        update: { priceOverride },
      });
    }
  });
  console.log(`Seeded ${CLINICS.length} clinics, ${TREATMENTS.length} treatments, ${LINKS.length} links.`);
} finally {
  await db.$disconnect();
}
