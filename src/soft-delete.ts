import type { AnyPlugin } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { SoftDeletePlugin } from '@zenstackhq/plugin-soft-delete';
import { AliasNode, DeleteQueryNode, SelectQueryNode, TableNode, UpdateQueryNode } from 'kysely';
import { currentScope, withScope } from './operation-scope.ts';
import { softDeleteField } from './rules/index.ts';
import { onlyIds } from './zenstack-internals/index.ts';

/**
 * Soft delete for models with a `@deletedAt` field (Patient), from
 * `@zenstackhq/plugin-soft-delete`: a DELETE becomes `UPDATE ... SET
 * "deletedAt" = now()` and reads and updates skip deleted rows.
 *
 * With `includeDeleted` only the first half applies: deleted rows are visible
 * and can be updated (restored), and a delete still only marks the row. The
 * schema's rules keep those rows to ADMIN.
 *
 * Install it inside the policy plugin (earlier in the plugin list): the policy
 * plugin must see a delete as a DELETE and check the delete rule, not the
 * update rule of the UPDATE it turns into.
 *
 * The filter is a view for the caller's reads, not for an operation's view of
 * its own writes: a SELECT that asks only for rows the same operation just
 * updated (the policy plugin's post-update check and read-back, the ORM's
 * read-back of the result) sees them as written, tombstones included.
 * Filtering those made an ADMIN `update({ data: { deletedAt } })` fail its own
 * post-update check, or commit and then throw `cannot-read-back`. Who may
 * write or see a tombstone stays the rules' business
 * (`@@deny('read,update' | 'post-update', deletedAt != null && …)`: ADMIN only).
 * {@link softDeleteWriteScope} marks one operation.
 */
export function softDeletePlugin({ includeDeleted }: { includeDeleted: boolean }): AnyPlugin {
  const plugin = new SoftDeletePlugin();
  return {
    id: plugin.id,
    name: includeDeleted ? 'Soft delete (deleted rows visible)' : plugin.name,
    onKyselyQuery: async (args) => {
      const written = currentScope().written;
      if (written && SelectQueryNode.is(args.query) && onlyIds(args.query.where?.where, written)) {
        return args.proceed(args.query);
      }
      if (includeDeleted && !DeleteQueryNode.is(args.query)) return args.proceed(args.query);
      const result = await plugin.onKyselyQuery(args);
      const marker = DeleteQueryNode.is(args.query) ? deletedMarker(args.client.$schema, args.query) : undefined;
      // A DELETE returns its rows as they were. The UPDATE it became only touched rows whose marker was null
      // (the plugin adds `"deletedAt" IS NULL`) and set nothing but the marker: the rows as they were are the
      // returned rows with the marker null again (what the plain path's pre-delete read returns).
      if (marker) for (const row of result.rows) if (marker in row) row[marker] = null;
      if (written && UpdateQueryNode.is(args.query)) {
        for (const row of result.rows) if (typeof row.id === 'string') written.add(row.id);
      }
      return result;
    },
  };
}

/** The `@deletedAt` field of the one table a DELETE names, if it has one (the plugin then rewrites it). */
function deletedMarker(schema: SchemaDef, node: DeleteQueryNode): string | undefined {
  if (node.from.froms.length !== 1) return undefined;
  let table = node.from.froms[0];
  if (table && AliasNode.is(table)) table = table.node;
  if (!table || !TableNode.is(table)) return undefined;
  return softDeleteField(schema, table.table.identifier.name);
}

/**
 * Outermost (an `onQuery` hook): every statement of one ORM operation, its
 * read-back included, runs in one scope.
 */
export function softDeleteWriteScope(): AnyPlugin {
  return {
    id: 'soft-delete-write-scope',
    name: 'Soft delete: statements of one operation',
    // Ids of the rows the operation updated (models here have a single `id` key).
    onQuery: ({ args, proceed }) => withScope({ written: new Set() }, () => proceed(args)),
  };
}
