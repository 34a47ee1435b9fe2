// Configuration for the Prisma Migrate engine that ZenStack migrations run on.
// `engine: 'js'` selects the WebAssembly schema engine shipped inside the
// `prisma` package, so no engine binary is ever downloaded.
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';
import { CatalogTypesAsTextClient } from './scripts/lib/catalog-types-as-text.ts';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  // The lasting schema `zen generate` writes; the CLI reads the generator
  // block here to decide which engine it needs.
  schema: 'zenstack/prisma/schema.prisma',
  migrations: { path: 'migrations' },
  adapter: async () => {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error('DATABASE_URL is not set');
    // allowExitOnIdle: the CLI never closes the adapter's pool, and idle
    // connections would otherwise hold the process open for pg's 10 s idle timeout.
    return new PrismaPg({ connectionString, Client: CatalogTypesAsTextClient, allowExitOnIdle: true });
  },
});
