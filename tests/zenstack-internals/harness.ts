import { type AnyPlugin, ZenStackClient } from '@zenstackhq/orm';
import { PolicyPlugin } from '@zenstackhq/plugin-policy';
import { afterAll } from 'vitest';
import { readDbConfig } from '../../src/config.ts';
import { AcmeDialect } from '../../src/driver/index.ts';
import { openPool } from '../../src/pool.ts';
import { schema } from '../../zenstack/schema.ts';

/**
 * A stock ZenStack client over the test database (owner role, no row-level
 * security) with the given plugins, for the contract tests of
 * src/zenstack-internals: each checks one upstream behaviour a reach-in needs.
 */
export function stockClient(plugins: AnyPlugin[] = []) {
  const pool = openPool(readDbConfig({ DATABASE_URL: process.env.DATABASE_URL, DB_POOL_MAX: '2' }));
  afterAll(() => pool.end());
  const dialect = new AcmeDialect({
    primary: pool,
    sessionContext: false,
    pipelined: false,
    lazyBegin: false,
    prepared: false,
    slowMs: 0,
  });
  return new ZenStackClient(schema, { dialect, plugins });
}

/** The same with ZenStack's policy plugin innermost-last, as createDb's plain path has it. */
export const policyClient = (plugins: AnyPlugin[] = []) => stockClient([...plugins, new PolicyPlugin()]);
