/**
 * The error classes @acme/db defines itself (every failure of a query is an
 * ORMError instead: orm-errors.ts). Each says what was refused, never a
 * secret or a row's value.
 */

/** A setting (DATABASE_URL, a pool size, ...) is missing or malformed: thrown before any connection is made. */
export class DbConfigError extends Error {
  override readonly name = 'DbConfigError';
}

/** A session client was asked for a member that would bypass the access policies or the shared pool (src/guard.ts). */
export class PolicyBypassError extends Error {
  override readonly name = 'PolicyBypassError';
  constructor(readonly member: string) {
    super(`${member} is not available on a session client: it would bypass the access policies or the shared pool.`);
  }
}

/**
 * A rule the row-level-security translation (src/rls/expression-sql.ts)
 * cannot express: `pnpm db:generate` stops with the rule named rather than
 * write a weaker policy.
 */
export class UnsupportedRuleError extends Error {
  override readonly name = 'UnsupportedRuleError';
}
