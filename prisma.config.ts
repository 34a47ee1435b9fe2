// Configuration for the Prisma Migrate engine that ZenStack migrations run on.
// `engine: 'js'` selects the WebAssembly schema engine shipped inside the
// `prisma` package, so no engine binary is ever downloaded. What the adapter
// needed to work offline and safely: scripts/lib/schema-engine-*.ts.
import { defineConfig } from 'prisma/config';
import { schemaEngineAdapter } from './scripts/lib/schema-engine-adapter.ts';

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
    return schemaEngineAdapter(connectionString);
  },
});
