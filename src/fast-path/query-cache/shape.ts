import type { SchemaDef } from '@zenstackhq/orm/schema';

/**
 * The shape of an operation's arguments: everything that can change the SQL
 * text or the result's form, literally, with the values that are only bound
 * (filter values, take/skip) abstracted to their class. `leaves` are those
 * values, in walk order; a cache entry binds its parameters to them.
 *
 * Pinned literally: booleans, null/undefined, zero, empty strings, enum
 * names (a probe could not replace them with a valid value), `mode`, and
 * everything outside `where`/`cursor`/`take`/`skip` (select, include, omit,
 * orderBy, distinct). Abstracted: non-empty strings and non-zero finite
 * numbers (with their sign and integer-ness) and valid Dates in filter
 * positions. Whether an abstracted value is really just bound is proved per
 * shape by the probe (bind.ts), not assumed here.
 */
export interface Shape {
  key: string;
  leaves: unknown[];
}

export type Leaf = string | number | Date | DecimalLike;
type DecimalLike = { toFixed(): string; isNegative(): boolean; isZero(): boolean; isFinite(): boolean };

/** Undefined when a value cannot be keyed soundly (class instances other than Date/Decimal/bytes, functions). */
export function shapeOf(schema: SchemaDef, args: unknown): Shape | undefined {
  const walk = new Walk(enumNames(schema));
  return walk.visit(args, false, undefined) ? { key: walk.key.join(','), leaves: walk.leaves } : undefined;
}

/** `args` with each abstracted leaf replaced by `replacements[i]`, in the same walk order. */
export function withLeaves(schema: SchemaDef, args: unknown, replacements: unknown[]): unknown {
  const walk = new Walk(enumNames(schema), replacements);
  walk.visit(args, false, undefined);
  return walk.rebuilt;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;
const FILTER_KEYS = new Set(['where', 'cursor']);
const COUNT_KEYS = new Set(['take', 'skip']);

class Walk {
  readonly key: string[] = [];
  readonly leaves: unknown[] = [];
  rebuilt: unknown;

  constructor(
    private readonly enums: ReadonlySet<string>,
    private readonly replacements?: unknown[],
  ) {}

  /** Appends `value`'s tokens; `rebuilt` is the value with replacements. False: cannot key it. */
  visit(value: unknown, filter: boolean, parentKey: string | undefined): boolean {
    this.rebuilt = value;
    if (value === undefined) return this.token('u');
    if (value === null) return this.token('N');
    switch (typeof value) {
      case 'boolean':
        return this.token(value ? 'T' : 'F');
      case 'number':
        if (filter && Number.isFinite(value) && value !== 0) {
          return this.leaf(value, `n${value < 0 ? '-' : '+'}${Number.isInteger(value) ? 'i' : 'f'}`);
        }
        return this.token(`#${Object.is(value, -0) ? '-0' : String(value)}`);
      case 'string':
        if (filter && value !== '' && parentKey !== 'mode' && !this.enums.has(value)) {
          // A number in text (a Decimal filter) needs a numeric probe: its own class.
          return this.leaf(value, NUMERIC.test(value) ? `s${value.startsWith('-') ? '-' : '+'}` : 's');
        }
        return this.token(`'${JSON.stringify(value)}`);
      case 'bigint':
        return this.token(`B${value}`);
      case 'object':
        return this.object(value as object, filter);
      default:
        return false;
    }
  }

  private object(value: object, filter: boolean): boolean {
    if (value instanceof Date) {
      if (filter && !Number.isNaN(value.getTime())) return this.leaf(value, 'd');
      return this.token(`D${value.getTime()}`);
    }
    if (value instanceof Uint8Array) return this.token(`X${Buffer.from(value).toString('hex')}`);
    if (Array.isArray(value)) {
      this.token(`[${value.length}`);
      const out: unknown[] = [];
      for (const item of value) {
        if (!this.visit(item, filter, undefined)) return false;
        out.push(this.rebuilt);
      }
      this.rebuilt = out;
      return this.token(']');
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      // decimal.js (ZenStack's Decimal): its exact text. Anything else (DbNull, JsonNull, user classes): not keyed.
      if (isDecimal(value)) {
        const d = value;
        if (filter && d.isFinite() && !d.isZero()) return this.leaf(value as Leaf, `m${d.isNegative() ? '-' : '+'}`);
        return this.token(`M${String(value)}`);
      }
      return false;
    }
    this.token('{');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      this.token(JSON.stringify(k));
      const inFilter = filter || FILTER_KEYS.has(k) || (COUNT_KEYS.has(k) && typeof v === 'number');
      if (!this.visit(v, inFilter, k)) return false;
      out[k] = this.rebuilt;
    }
    this.rebuilt = out;
    return this.token('}');
  }

  private leaf(value: Leaf, token: string): boolean {
    const index = this.leaves.length;
    this.leaves.push(value);
    if (this.replacements) this.rebuilt = this.replacements[index];
    return this.token(token);
  }

  private token(t: string): true {
    this.key.push(t);
    return true;
  }
}

const enumsBySchema = new WeakMap<SchemaDef, ReadonlySet<string>>();
function enumNames(schema: SchemaDef): ReadonlySet<string> {
  let names = enumsBySchema.get(schema);
  if (!names) {
    const values = Object.values(schema.enums ?? {}).flatMap((e) => Object.values((e as { values: object }).values));
    names = new Set(values.filter((v): v is string => typeof v === 'string'));
    enumsBySchema.set(schema, names);
  }
  return names;
}

/**
 * Probe values for `leaves`: same class (type, sign, integer-ness, non-empty),
 * and no probe equals another probe, a leaf's real value or a parameter the
 * real statement carried under any conversion a parameter may go through
 * (as it is, ISO text, number text, or as a number: `1.5`, `'1.50'` and
 * Decimal(1.5) are one value). So a parameter that only happens to equal a
 * user's value (a rule constant, a session id) never looks bound, and no
 * parameter can be explained by two leaves' probes.
 */
export function probeValues(leaves: unknown[], realParameters: readonly unknown[]): unknown[] {
  const taken = new Set<string>();
  for (const v of [...leaves, ...realParameters]) for (const k of valueKeys(v)) taken.add(k);
  const nonce = Math.floor(Math.random() * 1e9).toString(36);
  let n = 0;
  const fresh = <T>(make: (k: number) => T): T => {
    for (;;) {
      const v = make(n++);
      const keys = valueKeys(v);
      if (keys.every((k) => !taken.has(k))) {
        for (const k of keys) taken.add(k);
        return v;
      }
    }
  };
  return leaves.map((leaf) => {
    if (typeof leaf === 'string' && NUMERIC.test(leaf)) {
      return fresh((k) => `${leaf.startsWith('-') ? '-' : ''}${700_001 + 7 * k}.75`);
    }
    if (typeof leaf === 'string') return fresh((k) => `~probe:${nonce}:${k}~`);
    if (typeof leaf === 'number') {
      const sign = leaf < 0 ? -1 : 1;
      return fresh((k) => sign * (Number.isInteger(leaf) ? 700_001 + 7 * k : 700_001.25 + 7 * k));
    }
    if (leaf instanceof Date) return fresh((k) => new Date(Date.UTC(2091, 4, 7, 3, 2, 1) + 1_003 * k));
    // A Decimal (decimal.js): one of its own class, same sign.
    const D = (leaf as object).constructor as new (v: string) => object;
    const sign = (leaf as DecimalLike).isNegative() ? '-' : '';
    return fresh((k) => new D(`${sign}700001.${String(k + 1).padStart(2, '0')}3`));
  });
}

/**
 * Every form a value may take as a parameter: its text, and its number when
 * it is one (a number, a numeric string, a Decimal, a bigint), a Date's time
 * and ISO text. Two values sharing a key could be confused by bind.ts.
 */
export function valueKeys(v: unknown): string[] {
  if (v instanceof Date) return [`n${v.getTime()}`, `s${v.toISOString()}`];
  if (Array.isArray(v)) return [`s${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))}`];
  const text = typeof v === 'object' && v !== null && !isDecimal(v) ? JSON.stringify(v) : String(v);
  const keys = [`s${text}`];
  if (
    typeof v === 'number' ||
    typeof v === 'bigint' ||
    isDecimal(v) ||
    (typeof v === 'string' && NUMERIC_ANY.test(v))
  ) {
    const num = Number(v);
    if (Number.isFinite(num)) keys.push(`n${num}`);
  }
  return keys;
}

const NUMERIC_ANY = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;

function isDecimal(value: unknown): value is DecimalLike {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto?.constructor?.name === 'Decimal' && typeof (value as { toFixed?: unknown }).toFixed === 'function';
}
