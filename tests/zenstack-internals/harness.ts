import { type AnyPlugin, ZenStackClient } from '@zenstackhq/orm';
import { PolicyPlugin } from '@zenstackhq/plugin-policy';
import type pg from 'pg';
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
  return new ZenStackClient(schema, { dialect: ownerDialect(pool), plugins });
}

/** Our driver with every layer of its own off: what stock ZenStack would send, as the owner. */
export function ownerDialect(pool: pg.Pool): AcmeDialect {
  return new AcmeDialect({
    primary: pool,
    sessionContext: false,
    pipelined: false,
    lazyBegin: false,
    prepared: false,
    slowMs: 0,
  });
}

/** The same with ZenStack's policy plugin innermost-last, as createDb's plain path has it. */
export const policyClient = (plugins: AnyPlugin[] = []) => stockClient([...plugins, new PolicyPlugin()]);
