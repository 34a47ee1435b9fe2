import type { Expression, SchemaDef } from '@zenstackhq/schema';
import { fieldRules, modelRules } from '../../rules/index.ts';

/**
 * The session as a cache key (issue 26, point 2): its JSON with the values
 * that only ever meet a row's column in a rule abstracted (`auth().id ==
 * userId`, `auth().memberships?[clinicId == this.clinicId]`). ZenStack sends
 * those as parameters (`"clinicId" = $3`) and no rule decides anything on
 * them without the row, so sessions alike in everything else (role, the
 * number of memberships and their roles, what is missing) get the same SQL
 * text, and one cache entry serves them all, with their values bound. That
 * is proved per entry by the probe (query-cache-plugin.ts), with a synthetic
 * session carrying other values; this only says which values to try.
 *
 * Everything else stays literal: compared with a constant (`auth().role ==
 * 'ADMIN'`), null-checked, in a predicate ZenStack evaluates in JavaScript
 * (no `this`), or in any form this walk does not know.
 */
export interface SessionTemplate {
  /** The key: equal for two sessions iff they differ at most in `values`. */
  key: string;
  /** The abstracted values, in walk order. */
  values: string[];
  /** The same session with `values[i]` replaced by `replacements[i]`. */
  rebuild(replacements: readonly unknown[]): unknown;
}

const HOLE = '\u0000?';

const templates = new WeakMap<object, SessionTemplate>();
/** Per bound auth object (createDb keeps one per session), computed once. */
export function sessionTemplate(schema: SchemaDef, auth: unknown): SessionTemplate {
  if (!auth || typeof auth !== 'object') return { key: 'anonymous', values: [], rebuild: () => auth };
  let t = templates.get(auth);
  if (!t) {
    t = build(auth as Record<string, unknown>, abstractPaths(schema));
    templates.set(auth, t);
  }
  return t;
}

function build(auth: Record<string, unknown>, paths: ReadonlySet<string>): SessionTemplate {
  const values: string[] = [];
  const walk = (v: unknown, path: string, replace?: (i: number) => unknown): unknown => {
    if (Array.isArray(v)) return v.map((item) => walk(item, `${path}[]`, replace));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, path ? `${path}.${k}` : k, replace);
      return out;
    }
    if (typeof v === 'string' && v !== '' && paths.has(path)) {
      const i = values.length;
      if (!replace) values.push(v);
      return replace ? replace(i) : HOLE;
    }
    return v;
  };
  const key = JSON.stringify(walk(auth, ''));
  return {
    key,
    values,
    rebuild: (replacements) => {
      let i = 0;
      const walkAgain = (v: unknown, path: string): unknown => {
        if (Array.isArray(v)) return v.map((item) => walkAgain(item, `${path}[]`));
        if (v && typeof v === 'object') {
          const out: Record<string, unknown> = {};
          for (const [k, x] of Object.entries(v)) out[k] = walkAgain(x, path ? `${path}.${k}` : k);
          return out;
        }
        return typeof v === 'string' && v !== '' && paths.has(path) ? replacements[i++] : v;
      };
      return walkAgain(auth, '');
    },
  };
}

const bySchema = new WeakMap<SchemaDef, ReadonlySet<string>>();
/**
 * Auth paths (`id`, `memberships[].clinicId`) whose every use in every rule
 * of the schema (model and field rules, every operation) is an `==`/`!=`
 * against the row: a field of the model, or a member of `this`.
 */
export function abstractPaths(schema: SchemaDef): ReadonlySet<string> {
  let out = bySchema.get(schema);
  if (!out) {
    const candidates = new Set<string>();
    const pinned = new Set<string>();
    let unknown = false;
    const visit = (e: Expression, item: string | undefined) => {
      const use = classify(e, item);
      if (use === 'opaque') unknown = true;
      else if (use) pinned.add(use);
      switch (e.kind) {
        case 'binary': {
          const { op, left, right } = e;
          if (op === '?' || op === '!' || op === '^') {
            const list = authPath(left, item);
            if (list === undefined) {
              visit(left, item);
              visit(right, item);
              return;
            }
            // Unrolled per item only when it reads the row; else JavaScript decides it: all pinned.
            if (item !== undefined || !mentionsThis(right)) {
              unknown ||= item !== undefined;
              pinned.add(`${list}[]`);
              return;
            }
            visit(right, `${list}[]`);
            return;
          }
          if (op === '==' || op === '!=') {
            const l = authPath(left, item);
            const r = authPath(right, item);
            if (l !== undefined && r === undefined && isRow(right, item)) return void candidates.add(l);
            if (r !== undefined && l === undefined && isRow(left, item)) return void candidates.add(r);
          }
          for (const side of [left, right]) {
            const p = authPath(side, item);
            if (p !== undefined) pinned.add(p);
            else visit(side, item);
          }
          return;
        }
        case 'unary':
          return visit(e.operand, item);
        case 'array':
          for (const x of e.items) visit(x, item);
          return;
        case 'call':
          for (const a of e.args ?? []) visit(a, item);
          return;
        case 'member':
          return visit(e.receiver, item);
        default:
          return;
      }
    };
    for (const model of Object.keys(schema.models)) {
      for (const rule of [...modelRules(schema, model), ...fieldRules(schema, model)]) visit(rule.expr, undefined);
    }
    out = unknown
      ? new Set<string>()
      : new Set(
          [...candidates].filter(
            (p) => ![...pinned].some((q) => p === q || p.startsWith(`${q}.`) || p.startsWith(`${q}[]`)),
          ),
        );
    bySchema.set(schema, out);
  }
  return out;
}

/** `auth().a.b` → `a.b`; inside an unrolled predicate over `list`, a bare field `f` → `list.f`. */
function authPath(e: Expression, item: string | undefined): string | undefined {
  if (e.kind === 'field' && item !== undefined) return `${item}.${e.field}`;
  if (e.kind === 'member' && e.receiver.kind === 'call' && e.receiver.function === 'auth') return e.members.join('.');
  if (e.kind === 'member' && e.receiver.kind === 'field' && item !== undefined) {
    return [`${item}.${e.receiver.field}`, ...e.members].join('.');
  }
  return undefined;
}

/** The row's own value: a model field (outside a predicate over auth) or a member of `this`. */
const isRow = (e: Expression, item: string | undefined): boolean =>
  (e.kind === 'field' && item === undefined) || (e.kind === 'member' && e.receiver.kind === 'this');

/** A use this walk cannot place: `auth()` compared whole, a binding. Returns 'opaque' then. */
function classify(e: Expression, _item: string | undefined): 'opaque' | undefined {
  if (e.kind === 'binding') return 'opaque';
  if (e.kind === 'binary' && (e.op === '==' || e.op === '!=')) {
    const whole = (x: Expression) => x.kind === 'call' && x.function === 'auth';
    if ((whole(e.left) && e.right.kind !== 'null') || (whole(e.right) && e.left.kind !== 'null')) return 'opaque';
  }
  return undefined;
}

function mentionsThis(e: Expression): boolean {
  switch (e.kind) {
    case 'this':
      return true;
    case 'binary':
      return mentionsThis(e.left) || mentionsThis(e.right);
    case 'unary':
      return mentionsThis(e.operand);
    case 'member':
      return mentionsThis(e.receiver);
    case 'array':
      return e.items.some(mentionsThis);
    case 'call':
      return (e.args ?? []).some(mentionsThis);
    default:
      return false;
  }
}
