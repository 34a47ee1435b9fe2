/**
 * The rule-to-SQL translation of the row-level-security generator, reused as
 * it is. A thin re-export rather than a move: the translator depends on the
 * schema types only, so the package can run it from scripts/lib/rls at
 * runtime, and `zenstack/rls.sql` and `explain()` can never translate a rule
 * two different ways.
 */
export { AUTH_SQL, type Expr, quoteIdent, quoteLiteral, ruleToSql } from '../../scripts/lib/rls/expression-sql.ts';
