/**
 * The two schemas this repo migrates: the main one (every clinic database,
 * and the only one in single-database mode) and the central one of
 * organization mode. Prisma's config (prisma.config.ts) and every migrate
 * step pick theirs through ACME_DB_SCHEMA, so one offline engine setup serves
 * both. The central migrations cannot live in `migrations/central/`: Prisma
 * reads every folder of `migrations/` as a migration (error P3015).
 */
export interface SchemaTarget {
  name: 'main' | 'central';
  /** The zmodel `zen generate --schema` reads. */
  zmodel: string;
  /** The lasting Prisma schema `zen generate` writes, relative to the repo root. */
  prismaSchema: string;
  /** The committed migrations, relative to the repo root. */
  migrations: string;
  /** Whether zenstack/rls.sql is applied after its migrations. */
  rls: boolean;
}

export const MAIN_SCHEMA: SchemaTarget = {
  name: 'main',
  zmodel: 'zenstack/schema.zmodel',
  prismaSchema: 'zenstack/prisma/schema.prisma',
  migrations: 'migrations',
  rls: true,
};

export const CENTRAL_SCHEMA: SchemaTarget = {
  name: 'central',
  zmodel: 'zenstack/central/schema.zmodel',
  prismaSchema: 'zenstack/central/prisma/schema.prisma',
  migrations: 'migrations-central',
  rls: false,
};

/** The environment variable a Prisma child process reads its target from. */
export const SCHEMA_ENV = 'ACME_DB_SCHEMA';

export function schemaTargetFromEnv(env: NodeJS.ProcessEnv = process.env): SchemaTarget {
  return env[SCHEMA_ENV] === 'central' ? CENTRAL_SCHEMA : MAIN_SCHEMA;
}

/** The env for a Prisma CLI call on `target` (nothing for the main schema, as before). */
export function schemaEnv(target: SchemaTarget): Record<string, string> {
  return target.name === 'main' ? {} : { [SCHEMA_ENV]: target.name };
}
