-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "OrganizationStatus" AS ENUM ('active', 'suspended', 'archived');

-- CreateTable
CREATE TABLE "Organization" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" "OrganizationStatus" NOT NULL DEFAULT 'active',
    "dbServer" TEXT,
    "dbName" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Organization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganizationMember" (
    "id" TEXT NOT NULL,
    "organizationId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OrganizationMember_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organization_slug_key" ON "Organization"("slug");

-- CreateIndex
CREATE INDEX "OrganizationMember_userId_idx" ON "OrganizationMember"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "OrganizationMember_organizationId_userId_key" ON "OrganizationMember"("organizationId", "userId");

-- AddForeignKey
ALTER TABLE "OrganizationMember" ADD CONSTRAINT "OrganizationMember_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- What the schema language cannot say (Prisma leaves these alone in later diffs):
-- the slug rule for every writer, not only the ORM
ALTER TABLE "Organization" ADD CONSTRAINT "Organization_slug_check" CHECK ("slug" ~ '^[a-z][a-z0-9-]{1,40}$');
ALTER TABLE "Organization" ADD CONSTRAINT "Organization_name_check" CHECK (char_length("name") BETWEEN 1 AND 200);
ALTER TABLE "Organization" ADD CONSTRAINT "Organization_dbName_check" CHECK (char_length("dbName") BETWEEN 1 AND 63);
ALTER TABLE "OrganizationMember" ADD CONSTRAINT "OrganizationMember_role_check" CHECK ("role" IN ('USER', 'ADMIN', 'SUPPORT'));
-- two organizations on one database would see each other's data
CREATE UNIQUE INDEX "Organization_database_key" ON "Organization" (COALESCE("dbServer", ''), "dbName");
