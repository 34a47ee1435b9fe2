import type { AnyPlugin } from '@zenstackhq/orm';
import { SoftDeletePlugin } from '@zenstackhq/plugin-soft-delete';
import { DeleteQueryNode } from 'kysely';

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
 */
export function softDeletePlugin({ includeDeleted }: { includeDeleted: boolean }): AnyPlugin {
  const plugin = new SoftDeletePlugin();
  if (!includeDeleted) return plugin;
  return {
    id: plugin.id,
    name: 'Soft delete (deleted rows visible)',
    onKyselyQuery: (args) => (DeleteQueryNode.is(args.query) ? plugin.onKyselyQuery(args) : args.proceed(args.query)),
  };
}
