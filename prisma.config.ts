// Configuration for the Prisma Migrate engine that ZenStack migrations run on.
// `engine: 'js'` selects the WebAssembly schema engine shipped inside the
// `prisma` package, so no engine binary is ever downloaded. What the adapter
// needed to work offline and safely: tooling/schema-engine-*.ts.
import { defineConfig } from 'prisma/config';
import { schemaEngineAdapter } from './tooling/migrate/schema-engine-adapter.ts';
import { schemaTargetFromEnv } from './tooling/migrate/schema-targets.ts';

// ACME_DB_SCHEMA=central: the central database of organization mode.
const target = schemaTargetFromEnv();

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  // The lasting schema `zen generate` writes; the CLI reads the generator
  // block here to decide which engine it needs.
  schema: target.prismaSchema,
  migrations: { path: target.migrations },
  adapter: async () => {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error('DATABASE_URL is not set');
    return schemaEngineAdapter(connectionString);
  },
});
