import { PrismaPg } from '@prisma/adapter-pg';
import { parse } from 'pg-connection-string';
import { SchemaEnginePgClient } from './schema-engine-pg-client.ts';

type Adapter = Awaited<ReturnType<PrismaPg['connect']>> & {
  underlyingDriver(): { query(sql: string): Promise<unknown> };
  onError(error: unknown): never;
};

/**
 * `@prisma/adapter-pg` 6.19 runs a migration script by splitting it on every
 * ";" (inside comments and string literals too) and sending the pieces one by
 * one to the pool: no transaction, so a migration that fails midway leaves
 * half of itself applied. We send the whole script as one simple query
 * instead. PostgreSQL parses it properly and runs a multi-statement query in
 * one implicit transaction: a migration applies completely or not at all.
 * (A statement that refuses to run in a transaction, such as CREATE INDEX
 * CONCURRENTLY, must therefore be the only statement of its migration.)
 */
function atomicScripts(adapter: Adapter): Adapter {
  adapter.executeScript = async (script: string) => {
    try {
      await adapter.underlyingDriver().query(script);
    } catch (error) {
      adapter.onError(withSqlState(error));
    }
  };
  return adapter;
}

class SchemaEngineAdapterFactory extends PrismaPg {
  override async connect() {
    return atomicScripts((await super.connect()) as Adapter);
  }
  override async connectToShadowDb() {
    return atomicScripts((await super.connectToShadowDb()) as Adapter);
  }
}

/**
 * The engine prints a failed script's error as "ERROR: <message>" and drops
 * the SQLSTATE; an operator reading a failed deploy (db:migrate:deploy names
 * it per organization) needs it, so it rides in the message.
 */
function withSqlState(error: unknown): unknown {
  const e = error as { code?: unknown; severity?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && typeof e.severity === 'string' && typeof e.message === 'string') {
    e.message = `${e.message} (SQLSTATE ${e.code})`;
  }
  return error;
}

/** The driver adapter Prisma's WebAssembly schema engine runs on (see prisma.config.ts). */
export function schemaEngineAdapter(connectionString: string) {
  // Discrete fields, not `connectionString`: the adapter opens the shadow
  // database as `{ ...config, database: shadow }`, and pg lets a connection
  // string override `database`, which would aim the shadow work at this one.
  const { host, port, user, password, database, ssl } = parse(connectionString);
  return new SchemaEngineAdapterFactory({
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
}
