import { parseSessionUser, type SessionInput } from '@acme/auth';
import type { FieldDef, SchemaDef } from '@zenstackhq/orm/schema';
import { sql } from 'kysely';
import { schema as projectSchema } from '../../zenstack/schema.ts';
import { createSystemDb } from '../client.ts';
import { AUTH_SQL, quoteIdent, quoteLiteral } from '../rls/expression-sql.ts';
import { authJson } from '../rls/session-context.ts';
import { modelRules, OPERATIONS, type PolicyOperation, type Rule, softDeleteField } from '../rules/index.ts';
import { dependenciesOf } from './dependencies.ts';
import { type OperationVerdict, verdictFor } from './verdict.ts';

export type ModelName = keyof typeof projectSchema.models & string;

/**
 * What explain reads: a schema, and an owner client of that schema that
 * sees hidden and soft-deleted rows (no policy plugin, no row-level
 * security). The generic part works for any ZenStack schema; `explain` below
 * is it bound to this project's schema and system client.
 */
export interface ExplainTarget {
  schema: SchemaDef;
  ownerClient(): object;
}

export type Explain<M extends string = string> = (
  session: SessionInput | null,
  model: M,
  operation?: PolicyOperation | 'all' | readonly PolicyOperation[],
  where?: Record<string, unknown>,
  options?: ExplainOptions,
) => Promise<Explanation>;

export interface ExplainOptions {
  /** Rows to explain at most (default 50); `truncated` says when more matched. */
  limit?: number;
  /** Judge as `createDb(session, { includeDeleted: true })` would. */
  includeDeleted?: boolean;
  /**
   * An update to judge post-update on: the row after these scalar changes
   * (e.g. `{ clinicId: other }`). Without it, post-update is judged on the
   * row as it is (an update that leaves the ruled fields unchanged).
   */
  changes?: Record<string, unknown>;
}

export interface RowExplanation {
  /** The row's id. */
  id: unknown;
  /** The row as the owner sees it (explain is a tool for developers, not a session's view). */
  row: Record<string, unknown>;
  operations: Partial<Record<PolicyOperation, OperationVerdict>>;
}

export interface Explanation {
  model: string;
  operations: PolicyOperation[];
  rules: { index: number; kind: 'allow' | 'deny'; operations: PolicyOperation[]; text: string }[];
  rows: RowExplanation[];
  truncated: boolean;
}

/**
 * Why a session may or may not read, create, update, delete (or pass the
 * post-update check on) each row matching `where`. The rows are found as the
 * owner (hidden rows included); each `@@allow` / `@@deny` of the model is
 * then evaluated separately, in SQL, in one query: one boolean column per
 * rule, from the same translation that writes zenstack/rls.sql, with the
 * session as the policies would see it. The verdicts combine them as
 * ZenStack does, plus the layers `createDb` adds (soft delete, the audit log's guard).
 *
 * @example
 * const session = await loadSession({ id: 'u_1', role: 'USER' });
 * const [row] = (await explain(session, 'Patient', 'read', { id: patientId })).rows;
 * row.operations.read; // { allowed: false, decidedBy: { by: 'no-allow', ... }, rules: [...] }
 */
export const explain: Explain<ModelName> = explainerFor({
  schema: projectSchema,
  ownerClient: () => createSystemDb('explain', { includeDeleted: true }),
});

/** explain() for another schema (the generic layers are tested on foreign schemas). */
export function explainerFor({ schema, ownerClient }: ExplainTarget): Explain {
  return (session, model, operation = 'all', where = {}, options = {}) =>
    explainWith(schema, ownerClient(), session, model, operation, where, options);
}

async function explainWith(
  schema: SchemaDef,
  sys: object,
  session: SessionInput | null,
  model: string,
  operation: PolicyOperation | 'all' | readonly PolicyOperation[],
  where: Record<string, unknown>,
  options: ExplainOptions,
): Promise<Explanation> {
  const def = schema.models[model];
  if (!def) throw new TypeError(`explain: unknown model ${JSON.stringify(model)}`);
  const idField = def.idFields.length === 1 ? (def.idFields[0] as string) : undefined;
  if (!idField) throw new TypeError(`explain: ${model} has a composite id, which explain does not support`);
  const operations =
    operation === 'all' ? [...OPERATIONS] : typeof operation === 'string' ? [operation] : [...operation];
  const limit = Math.max(1, Math.min(options.limit ?? 50, 1000));
  const user = session === null ? null : parseSessionUser(session);
  const rules = modelRules(schema, model);

  // biome-ignore lint/suspicious/noExplicitAny: the delegate is picked by model name at runtime
  const delegate = (sys as any)[model.charAt(0).toLowerCase() + model.slice(1)];
  const found: Record<string, unknown>[] = await delegate.findMany({
    where,
    take: limit + 1,
    orderBy: { [idField]: 'asc' },
  });
  const rows = found.slice(0, limit);
  const ids = rows.map((r) => r[idField]);
  const json = authJson(user);
  const values = await ruleValues(sys, def.fields, model, idField, rules, ids, json);
  const after = options.changes
    ? await ruleValues(sys, def.fields, model, idField, rules, ids, json, options.changes)
    : values;
  const deletedField = softDeleteField(schema, model);

  return {
    model,
    operations,
    rules: rules.map(({ index, kind, operations: ops, text }) => ({ index, kind, operations: [...ops], text })),
    truncated: found.length > limit,
    rows: rows.map((row) => {
      const ctx = {
        schema,
        model,
        deleted: deletedField !== undefined && row[deletedField] != null,
        includeDeleted: options.includeDeleted === true,
      };
      const byRule = values.get(String(row[idField])) ?? {};
      const afterRule = after.get(String(row[idField])) ?? {};
      return {
        id: row[idField],
        row,
        operations: Object.fromEntries(
          operations.map((op) => [
            op,
            {
              ...verdictFor(rules, op === 'post-update' ? afterRule : byRule, op, ctx),
              dependsOn: dependenciesOf(schema, model, rules, op),
            },
          ]),
        ),
      };
    }),
  };
}

/**
 * One statement: `SELECT id, (rule 0) AS r0, (rule 1) AS r1, ... FROM model
 * WHERE id IN (...)`, run as the owner (no row-level security), with the
 * session inlined as an escaped JSON literal where the policies read
 * `current_setting('acme.auth')` (as src/rls does: never a bind parameter
 * inside a policy expression). With `changes`, the rows are read through a
 * derived table of the same name whose changed columns are the new values.
 */
async function ruleValues(
  sys: object,
  fields: Record<string, FieldDef>,
  model: string,
  idField: string,
  rules: readonly Rule[],
  ids: unknown[],
  auth: string,
  changes?: Record<string, unknown>,
): Promise<Map<string, Record<number, boolean | null>>> {
  const out = new Map<string, Record<number, boolean | null>>();
  if (ids.length === 0) return out;
  const session = auth === '' ? 'NULL::jsonb' : `(${quoteLiteral(auth)}::jsonb)`;
  const table = quoteIdent(model);
  const id = sql.raw(`${table}.${quoteIdent(idField)}`);
  const columns = rules.map((r) => `(${r.sql.split(AUTH_SQL).join(session)}) AS ${quoteIdent(`r${r.index}`)}`);
  const from = changes
    ? sql`(SELECT ${sql.join(
        Object.values(fields)
          .filter((f) => !f.relation)
          .map((f) =>
            f.name in changes ? sql`${changes[f.name]} AS ${sql.raw(quoteIdent(f.name))}` : sql.raw(quoteIdent(f.name)),
          ),
      )} FROM ${sql.raw(table)}) AS ${sql.raw(table)}`
    : sql.raw(table);
  const query = sql<
    Record<string, unknown>
  >`SELECT ${id} AS "id"${sql.raw(columns.map((c) => `, ${c}`).join(''))} FROM ${from} WHERE ${id} IN (${sql.join(ids)})`;
  // biome-ignore lint/suspicious/noExplicitAny: $qb is the system client's Kysely instance
  const result = await query.execute((sys as any).$qb);
  for (const row of result.rows) {
    out.set(
      String(row.id),
      Object.fromEntries(rules.map((r) => [r.index, (row[`r${r.index}`] as boolean | null) ?? null])),
    );
  }
  return out;
}
