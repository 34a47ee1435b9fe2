import {
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
} from 'kysely';
import { AcmeDriver } from './driver.ts';
import type { DriverOptions } from './options.ts';

/** Kysely's PostgreSQL dialect with this package's driver (the compiler, adapter and introspector are Kysely's). */
export class AcmeDialect implements Dialect {
  constructor(private readonly options: DriverOptions) {}

  createDriver(): Driver {
    return new AcmeDriver(this.options);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own signature.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
