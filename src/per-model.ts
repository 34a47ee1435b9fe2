import type { SchemaDef } from '@zenstackhq/orm/schema';

/**
 * Memoises a fact derived from a model's definition (its columns, its rules)
 * per schema and model: schemas are immutable, and these are asked for on
 * every statement.
 *
 * @example
 * const columnsOf = perModel((schema, model) => Object.keys(schema.models[model]?.fields ?? {}));
 */
export function perModel<T>(compute: (schema: SchemaDef, model: string) => T): (schema: SchemaDef, model: string) => T {
  const cache = new WeakMap<SchemaDef, Map<string, T>>();
  return (schema, model) => {
    let byModel = cache.get(schema);
    if (!byModel) {
      byModel = new Map();
      cache.set(schema, byModel);
    }
    if (!byModel.has(model)) byModel.set(model, compute(schema, model));
    return byModel.get(model) as T;
  };
}
