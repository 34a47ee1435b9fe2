-- CreateTable
CREATE TABLE "Patient" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "phone" TEXT,
    "dateOfBirth" DATE,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "deletedAt" TIMESTAMP(3),
    "clinicId" TEXT NOT NULL,

    CONSTRAINT "Patient_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Patient_clinicId_name_idx" ON "Patient"("clinicId", "name");

-- AddForeignKey
ALTER TABLE "Patient" ADD CONSTRAINT "Patient_clinicId_fkey" FOREIGN KEY ("clinicId") REFERENCES "Clinic"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written below: what the schema language cannot say.

-- Email is unique per clinic among live rows, case-insensitively. Soft-deleted
-- rows keep their email, so a plain unique constraint would block re-registering
-- a patient. Per clinic, so one clinic cannot probe another's patients by email.
CREATE UNIQUE INDEX "Patient_clinicId_email_live_key"
  ON "Patient" ("clinicId", lower("email"))
  WHERE "deletedAt" IS NULL;

-- Mirror of the @length / @email limits for every path that skips the ORM.
ALTER TABLE "Patient"
  ADD CONSTRAINT "Patient_name_length" CHECK (char_length("name") BETWEEN 1 AND 200),
  ADD CONSTRAINT "Patient_email_shape" CHECK (char_length("email") BETWEEN 3 AND 320 AND position('@' IN "email") > 1),
  ADD CONSTRAINT "Patient_phone_length" CHECK (char_length("phone") <= 40);
