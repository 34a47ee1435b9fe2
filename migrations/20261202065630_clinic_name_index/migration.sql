-- CreateIndex
-- Its own migration, one statement: CONCURRENTLY cannot run inside a transaction, and it keeps writes to a
-- live Clinic table going while the index builds. Clinic lists page by (name, id): without it every page
-- sorts the whole table (bench/RESULTS.md, Scale: 200-250 ms at 1M clinics, 0.08 ms with it).
CREATE INDEX CONCURRENTLY "Clinic_name_id_idx" ON "Clinic"("name", "id");
