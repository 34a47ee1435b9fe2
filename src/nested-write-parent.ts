import { type AnyPlugin, QueryUtils } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { schema as appSchema } from '../zenstack/schema.ts';

/**
 * A nested write needs update permission on its parent (ZenStack v2's rule).
 *
 * ZenStack v3's policy plugin judges SQL statements one by one: in
 * `clinic.update({ data: { patients: { updateMany: … } } })` it checks the
 * Patient UPDATE against Patient's rules, and when the clinic itself has no
 * field to change the ORM sends no Clinic UPDATE at all, so the clinic's
 * update rule is never asked: a USER who may not update clinics got the
 * clinic back, and a STAFF member rewrote its patients through it.
 *
 * The fix makes the parent's UPDATE real: every update that writes through
 * relations also sets the parent's `@updatedAt` field (a nested write changes
 * the parent's aggregate, so it counts as an update of the parent). That
 * statement goes through the policy plugin's update and post-update rules
 * and, with row-level security, through PostgreSQL's UPDATE policy too; a
 * parent the session may not update is `not-found` and the operation's
 * transaction rolls back the nested writes with it (no audit row either).
 * Applied at every level of nesting: a nested `update`/`upsert` that itself
 * writes relations touches its own row the same way.
 *
 * So every model with a relation field needs an `@updatedAt` field. That is
 * checked where the schema is generated (`pnpm db:generate`) and again when
 * the plugin is built (the first createDb), never left to the first nested
 * write in production: see `parentsWithoutUpdatedAt`.
 */
export class NestedWriteParentPlugin implements AnyPlugin {
  readonly id = 'nested-write-parent';
  readonly name = 'Nested writes need update permission on the parent';

  constructor(schema: SchemaDef = appSchema) {
    assertParentsCanBeTouched(schema);
  }

  onQuery: NonNullable<AnyPlugin['onQuery']> = ({ model, operation, args, proceed, client }) => {
    if ((operation !== 'update' && operation !== 'upsert') || !args || typeof args !== 'object') return proceed(args);
    const schema = client.$schema;
    const a = args as Record<string, unknown>;
    if (operation === 'update') return proceed({ ...a, data: touchParents(schema, model, a.data) });
    return proceed({ ...a, update: touchParents(schema, model, a.update), create: a.create });
  };
}

const checked = new WeakSet<SchemaDef>();

/**
 * Models a nested write can run under (they have a relation field) but that
 * have no `@updatedAt` field to touch: their update rule could not be asked.
 */
export function parentsWithoutUpdatedAt(schema: SchemaDef): string[] {
  return Object.entries(schema.models)
    .filter(([, m]) => {
      const fields = Object.values(m.fields);
      return fields.some((f) => f.relation) && !fields.some((f) => f.updatedAt);
    })
    .map(([name]) => name);
}

/** The message says what to add, per model. */
export function missingUpdatedAtMessage(models: readonly string[]): string {
  return (
    `${models.join(', ')}: a model with a relation field needs an @updatedAt field, e.g. ` +
    '`updatedAt DateTime @updatedAt`. A nested write under it (update({ data: { <relation>: … } })) ' +
    'sets that field so the update rule of the parent is checked (src/nested-write-parent.ts).'
  );
}

export function assertParentsCanBeTouched(schema: SchemaDef): void {
  if (checked.has(schema)) return;
  const missing = parentsWithoutUpdatedAt(schema);
  if (missing.length > 0) throw new TypeError(missingUpdatedAtMessage(missing));
  checked.add(schema);
}

type Data = Record<string, unknown>;
const isObject = (v: unknown): v is Data =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** `data` of an update of `model`, with the parent touched wherever it writes relations. */
function touchParents(schema: SchemaDef, model: string, data: unknown): unknown {
  if (!isObject(data)) return data;
  const fields = QueryUtils.requireModel(schema, model).fields;
  let writesRelations = false;
  const out: Data = {};
  for (const [key, value] of Object.entries(data)) {
    const field = fields[key];
    if (field?.relation && isObject(value)) {
      writesRelations = true;
      out[key] = touchNested(schema, field.type, value);
    } else out[key] = value;
  }
  if (!writesRelations) return data;
  const updatedAt = Object.values(fields).find((f) => f.updatedAt);
  // Unreachable with a checked schema (the constructor refuses one without it).
  if (!updatedAt) throw new TypeError(missingUpdatedAtMessage([model]));
  if (out[updatedAt.name] === undefined) out[updatedAt.name] = new Date();
  return out;
}

/** The nested operations under one relation field: their own nested updates touch their rows too. */
function touchNested(schema: SchemaDef, model: string, ops: Data): Data {
  const out: Data = { ...ops };
  const each = (v: unknown, f: (item: Data) => Data) => (Array.isArray(v) ? v.map(f) : isObject(v) ? f(v) : v);
  if (ops.update !== undefined) {
    out.update = each(ops.update, (u) =>
      'data' in u ? { ...u, data: touchParents(schema, model, u.data) } : (touchParents(schema, model, u) as Data),
    );
  }
  if (ops.upsert !== undefined) {
    out.upsert = each(ops.upsert, (u) => ({ ...u, update: touchParents(schema, model, u.update) }));
  }
  return out;
}
