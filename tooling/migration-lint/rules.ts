/**
 * Which squawk findings stop a migration, and why. squawk also reports style
 * advice (timestamptz, bigint, identity) that says nothing about a live
 * table; only the rules below are enforced.
 */

/** Rules that take a long or blocking lock on a live table, or break code still running against it. */
export const LOCKING_RULES = [
  'adding-required-field', // NOT NULL without a default: fails on a table with rows
  'adding-not-nullable-field', // SET NOT NULL scans the table under ACCESS EXCLUSIVE
  'adding-field-with-default', // a volatile default rewrites the table
  'adding-foreign-key-constraint', // validates every row, blocking writes on both tables
  'constraint-missing-not-valid', // CHECK/FK without NOT VALID: a full scan that blocks writes
  'disallowed-unique-constraint', // ADD UNIQUE builds an index under ACCESS EXCLUSIVE
  'require-concurrent-index-creation', // CREATE INDEX on an existing table blocks writes
  'require-concurrent-index-deletion', // DROP INDEX blocks reads and writes
  'renaming-column', // code still using the old name breaks
  'renaming-table',
  'ban-drop-not-null', // code that relied on the constraint may write nulls meanwhile
  'ban-alter-domain-with-add-constraint',
  'ban-create-domain-with-constraint',
  'ban-concurrent-index-creation-in-transaction', // fails: CONCURRENTLY cannot run in a transaction
] as const;

/** Rules whose statement loses data: never applied by a deploy without an acknowledgement. */
export const DESTRUCTIVE_RULES = [
  'ban-drop-column',
  'ban-drop-table',
  'ban-drop-database',
  'ban-truncate-cascade',
  'changing-column-type', // rewrites the table, and a narrowing cast loses or rejects values
] as const;

export type LockingRule = (typeof LOCKING_RULES)[number];
export type DestructiveRule = (typeof DESTRUCTIVE_RULES)[number];
export type EnforcedRule = LockingRule | DestructiveRule;

export const ENFORCED_RULES: readonly string[] = [...LOCKING_RULES, ...DESTRUCTIVE_RULES];

export function isDestructive(rule: string): boolean {
  return (DESTRUCTIVE_RULES as readonly string[]).includes(rule);
}

/**
 * The oldest server the package supports (README: PostgreSQL 13+): squawk
 * judges version-dependent rules (a constant default is instant from 11 on)
 * for it, so a migration that is safe there is safe on every supported server.
 */
export const LINT_PG_VERSION = '13.0';
