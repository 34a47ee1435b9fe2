// Configuration for the Prisma Migrate engine that ZenStack migrations run on.
// `engine: 'js'` selects the WebAssembly schema engine shipped inside the
// `prisma` package, so no engine binary is ever downloaded.
import { PrismaPg } from '@prisma/adapter-pg';
import { parse } from 'pg-connection-string';
import { defineConfig } from 'prisma/config';
import { SchemaEnginePgClient } from './scripts/lib/schema-engine-pg-client.ts';

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
    // Discrete fields, not `connectionString`: the adapter opens the shadow
    // database as `{ ...config, database: shadow }`, and pg lets a connection
    // string override `database`, which would aim the shadow work at this one.
    const { host, port, user, password, database, ssl } = parse(connectionString);
    return new PrismaPg({
      ...(host ? { host } : {}),
      ...(port ? { port: Number(port) } : {}),
      ...(user ? { user } : {}),
      ...(password ? { password } : {}),
      ...(database ? { database } : {}),
      ...(ssl ? { ssl } : {}),
      Client: SchemaEnginePgClient,
      // The CLI never closes this pool; idle connections would otherwise hold
      // the process open for pg's 10 s idle timeout.
      allowExitOnIdle: true,
    } as ConstructorParameters<typeof PrismaPg>[0]);
  },
});
