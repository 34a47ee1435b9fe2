-- Database-side mirror of the @length limits in the schema, plus amounts that can
-- never be negative or NaN (numeric accepts NaN, and NaN sorts above every number, so
-- a plain ">= 0" would let it through). The ORM validates lengths first (invalid-input), and the CHECKs
-- hold for every other path to the tables (Kysely via $qb, scripts, other services).

ALTER TABLE "Clinic"
  ADD CONSTRAINT "Clinic_name_length" CHECK (char_length("name") BETWEEN 1 AND 200),
  ADD CONSTRAINT "Clinic_code_length" CHECK (char_length("code") BETWEEN 1 AND 32);

ALTER TABLE "Treatment"
  ADD CONSTRAINT "Treatment_name_length" CHECK (char_length("name") BETWEEN 1 AND 200),
  ADD CONSTRAINT "Treatment_description_length" CHECK (char_length("description") <= 2000),
  ADD CONSTRAINT "Treatment_price_not_negative" CHECK ("price" >= 0 AND "price" <> 'NaN'),
  ADD CONSTRAINT "Treatment_maintenance_interval_positive" CHECK ("maintenanceIntervalMonths" > 0);

ALTER TABLE "TreatmentsByClinic"
  ADD CONSTRAINT "TreatmentsByClinic_notes_length" CHECK (char_length("notes") <= 2000),
  ADD CONSTRAINT "TreatmentsByClinic_price_override_not_negative" CHECK ("priceOverride" >= 0 AND "priceOverride" <> 'NaN');
