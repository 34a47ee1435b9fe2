import type { AnyPlugin } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { debugFallback } from '../fast-path/switch.ts';

type Args = Record<string, unknown>;

/**
 * A plain `findMany({ take, include })` paged the way `findManyPaged` pages
 * (src/paging.ts): ZenStack 3.9 joins the relations laterally *before* it
 * sorts and limits, so a 50-row page over 10,000 clinics builds the nested
 * rows of all 10,000. Here the page's ids come first (same where, orderBy,
 * skip, take, through the same rules), then the relations for those ids,
 * in the same order. Two statements, both through the policy plugin.
 *
 * Taken only when the page is well defined: a positive `take`, no cursor or
 * distinct, a single-column id, and an orderBy on scalar fields that ends in
 * a unique one (so both statements agree on the order). Everything else is
 * ZenStack's own findMany.
 */
export class PagedFindManyPlugin implements AnyPlugin {
  readonly id = 'paged-find-many';
  readonly name = 'findMany pages ids before relations';

  onQuery: NonNullable<AnyPlugin['onQuery']> = async ({ model, operation, args, proceed, client }) => {
    if (operation !== 'findMany' || !args || typeof args.take !== 'number') return proceed(args);
    const id = pageable(client.$schema, model, args as Args);
    if (id === undefined) return proceed(args);
    const { take, skip, where, orderBy } = args as Args;
    const page = (await proceed({ where, orderBy, take, skip, select: { [id]: true } })) as Args[];
    if (page.length === 0) return [];
    const { take: _t, skip: _s, where: _w, ...rest } = args as Args;
    return proceed({ ...rest, where: { [id]: { in: page.map((r) => r[id]) } } });
  };
}

/** The id field when the page can be taken in two steps with the same result, else undefined. */
function pageable(schema: SchemaDef, model: string, args: Args): string | undefined {
  const def = schema.models[model];
  if (!def) return undefined;
  const relations = (shape: unknown) =>
    shape !== null &&
    typeof shape === 'object' &&
    Object.entries(shape).some(([k, v]) => v && (k === '_count' || def.fields[k]?.relation !== undefined));
  if (!relations(args.include) && !relations(args.select)) return undefined; // nothing joined: one statement is right
  const why = unpageable(def, args);
  if (why) {
    debugFallback(model, 'findMany', why);
    return undefined;
  }
  return def.idFields[0];
}

function unpageable(def: SchemaDef['models'][string], args: Args): string | undefined {
  if ((args.take as number) <= 0 || !Number.isInteger(args.take)) return 'take is not a positive integer';
  if (args.cursor !== undefined || args.distinct !== undefined) return 'cursor or distinct';
  if (def.idFields.length !== 1) return 'compound id';
  const orderBy = args.orderBy === undefined ? [] : [args.orderBy].flat();
  if (orderBy.length === 0) return 'no orderBy (the page is not defined)';
  let last: string | undefined;
  for (const entry of orderBy) {
    const keys = entry && typeof entry === 'object' ? Object.entries(entry) : [];
    if (keys.length !== 1) return 'an orderBy entry with other than one field';
    const [field, dir] = keys[0] as [string, unknown];
    const f = def.fields[field];
    if (!f || f.relation || (dir !== 'asc' && dir !== 'desc')) return 'orderBy on other than a scalar field';
    last = field;
  }
  const unique = def.fields[last as string];
  if (!(unique?.id || unique?.unique)) return 'orderBy does not end in a unique field';
  return undefined;
}
