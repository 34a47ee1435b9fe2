import {
  createQueryId,
  type DatabaseConnection,
  type Driver,
  IdentifierNode,
  type QueryCompiler,
  RawNode,
  type TransactionSettings,
} from 'kysely';
import { AcmeConnection } from './connection.ts';
import type { DriverOptions } from './options.ts';

/** What Kysely's PostgresDriver sends to open a transaction with these settings. */
function beginSql(settings: TransactionSettings): string {
  if (!settings.isolationLevel && !settings.accessMode) return 'begin';
  let sql = 'start transaction';
  if (settings.isolationLevel) sql += ` isolation level ${settings.isolationLevel}`;
  if (settings.accessMode) sql += ` ${settings.accessMode}`;
  return sql;
}

/**
 * The Kysely driver under every ZenStack client of this package (public
 * `Driver` interface). Kysely tells it when a transaction begins, commits
 * and rolls back, so transaction state is a field of the connection, not a
 * guess from SQL text. Savepoints are sent as they come (Kysely compiles them).
 */
export class AcmeDriver implements Driver {
  constructor(private readonly options: DriverOptions) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // No pg client yet: the first statement decides the server (replicas) and takes one.
    return new AcmeConnection(this.options);
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return (connection as AcmeConnection).begin(beginSql(settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return (connection as AcmeConnection).commit();
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return (connection as AcmeConnection).rollback();
  }

  savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return savepointCommand(connection, 'savepoint', name, compile);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return savepointCommand(connection, 'rollback to', name, compile);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return savepointCommand(connection, 'release', name, compile);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as AcmeConnection).release();
  }

  async destroy(): Promise<void> {
    await Promise.all([this.options.primary.end(), this.options.replicas?.end()]);
  }
}

async function savepointCommand(
  connection: DatabaseConnection,
  command: string,
  name: string,
  compile: QueryCompiler['compileQuery'],
): Promise<void> {
  const node = RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
  await connection.executeQuery(compile(node, createQueryId()));
}
