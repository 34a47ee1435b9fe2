import { getCrudDialect, QueryUtils } from '@zenstackhq/orm';
import type { FieldDef, SchemaDef } from '@zenstackhq/orm/schema';

type Row = Record<string, unknown>;
type Dialect = { transformOutput(value: unknown, type: string, array: boolean): unknown };

/**
 * What ZenStack's handlers make of a read's rows, replicated for cache hits
 * (its ResultProcessor is not exported): FindOperationHandler (findUnique /
 * findFirst: the first row or null), CountOperationHandler (the count, or the
 * row with `select`), ExistsOperationHandler, and ResultProcessor's row
 * processing (relations arrive as JSON from lateral joins, negative `take`
 * reverses) with the dialect's own `transformOutput`. The miss checks this
 * against the plain result before a shape is cached.
 */
export class ResultMapper {
  private readonly dialect: Dialect;

  constructor(
    private readonly schema: SchemaDef,
    options: unknown,
  ) {
    this.dialect = getCrudDialect(schema, options as never) as unknown as Dialect;
  }

  /**
   * False when the result would involve a delegate (`@@delegate`) model, as
   * the read's model or any relation its select/include loads: its rows
   * carry `$delegate$` sub-rows that this copy does not merge. Decided from
   * the schema up front, not from the rows of one miss: a miss with no rows,
   * or rows of one concrete sub-model only, proves nothing about the next.
   */
  handles(model: string, args: unknown): boolean {
    const def = this.schema.models[model];
    if (!def || def.isDelegate || def.baseModel) return false;
    const a = args as { select?: unknown; include?: unknown } | undefined;
    for (const tree of [a?.select, a?.include]) {
      if (!tree || typeof tree !== 'object') continue;
      for (const [field, value] of Object.entries(tree)) {
        const f = def.fields[field];
        if (!f?.relation || !value) continue;
        if (!this.handles(f.type, typeof value === 'object' ? value : undefined)) return false;
      }
    }
    return true;
  }

  map(model: string, operation: string, rows: Row[], args: unknown): unknown {
    const a = args as { select?: unknown } | undefined;
    switch (operation) {
      case 'count':
        return a?.select && typeof a.select === 'object' ? rows[0] : (rows[0] as Row).count;
      case 'exists':
        return !!rows[0]?.$exists;
      case 'findUnique':
      case 'findFirst': {
        const row = rows[0] ?? null;
        return row ? this.processResult(row, model, args) : null;
      }
      default:
        return this.processResult(rows, model, args);
    }
  }

  private processResult(data: unknown, model: string, args: unknown): unknown {
    const result = this.doProcess(data, model);
    this.fixReversed(result, model, args);
    return result;
  }

  private doProcess(data: unknown, model: string): unknown {
    const first = Array.isArray(data) ? data[0] : data;
    if (!first || typeof first !== 'object') return data;
    const fields = this.resolveFields(first as Row, model);
    if (Array.isArray(data)) {
      data.forEach((row, i) => {
        data[i] = this.processRow(row, fields);
      });
      return data;
    }
    return this.processRow(data as Row, fields);
  }

  private resolveFields(row: Row, model: string): FieldDef[] {
    const out: FieldDef[] = [];
    for (const key of Object.keys(row)) {
      if (key === '_count' || key.startsWith('$delegate$')) continue;
      const def = QueryUtils.getField(this.schema, model, key);
      if (def) out.push(def);
    }
    return out;
  }

  private processRow(data: Row, fields: FieldDef[]): Row {
    if (!data || typeof data !== 'object') return data;
    for (const key of Object.keys(data)) {
      const value = data[key];
      if (value === undefined) continue;
      if (key === '_count') data[key] = typeof value === 'string' ? JSON.parse(value) : value;
      // Delegate (polymorphic) models: refused before caching (handles()).
      else if (key.startsWith('$delegate$')) throw new Error('delegate models are not mapped');
    }
    for (const def of fields) {
      const value = data[def.name];
      if (value === undefined) continue;
      if (value === null) {
        if (def.array && !def.relation) data[def.name] = [];
        continue;
      }
      data[def.name] = def.relation ? this.processRelation(value, def) : this.processField(value, def);
    }
    return data;
  }

  private processField(value: unknown, def: FieldDef): unknown {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        value[i] = this.dialect.transformOutput(v, def.type, false);
      });
      return value;
    }
    return this.dialect.transformOutput(value, def.type, !!def.array);
  }

  private processRelation(value: unknown, def: FieldDef): unknown {
    let data = value;
    if (typeof value === 'string') {
      try {
        data = JSON.parse(value);
      } catch {
        return value;
      }
    }
    return this.doProcess(data, def.type);
  }

  private fixReversed(data: unknown, model: string, args: unknown): void {
    if (!data) return;
    const a = args as { take?: unknown; include?: unknown; select?: unknown } | undefined;
    if (Array.isArray(data) && a && typeof a === 'object' && a.take !== undefined && (a.take as number) < 0) {
      data.reverse();
    }
    const selectInclude = a?.include ?? a?.select;
    if (!selectInclude) return;
    for (const row of QueryUtils.ensureArray(data) as Row[]) {
      for (const [field, value] of Object.entries(selectInclude as object)) {
        if (typeof value !== 'object' || !value) continue;
        const def = QueryUtils.getField(this.schema, model, field);
        if (!def?.relation || !def.array) continue;
        this.fixReversed(row[field], def.type, value);
      }
    }
  }
}

/** Deep equality of two results as an app would see them: Decimal, Date, BigInt, bytes by value; key order too. */
export function sameResult(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b as Uint8Array));
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => sameResult(v, other[i]));
  }
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.prototype && proto !== null) {
    // Decimal: same text (1.5 and 1.50 print alike in decimal.js; what the app sees is the text).
    return proto?.constructor?.name === 'Decimal' && String(a) === String(b);
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => sameResult((a as Row)[k], (b as Row)[k]));
}
