/**
 * The rule-to-SQL translation of the row-level-security generator
 * (src/rls/expression-sql.ts), reused as it is, so that `zenstack/rls.sql`
 * and `explain()` can never translate a rule two different ways.
 */
export { AUTH_SQL, type Expr, quoteIdent, quoteLiteral, ruleToSql } from '../rls/expression-sql.ts';
