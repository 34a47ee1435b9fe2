import { AS, type As, convert } from '../../zenstack-internals/index.ts';
import type { CapturedStatement } from './capture.ts';

/**
 * A cached statement's parameter: a constant of the shape, or bound to a
 * leaf, as it is or as ZenStack sends it (a Date as ISO text, a Decimal or
 * number for a Decimal column as its text, a `contains` string as its
 * escaped LIKE pattern).
 */
export type Param = { constant: unknown } | { leaf: number; as: As };

/**
 * Which parameter carries which value, proved by two compilations of one
 * shape: the real arguments and the probe (every leaf replaced by a distinct
 * value of its class). Parameter i is bound to leaf L iff it equals L's value
 * in both, under one conversion; it is a constant iff it is the same in
 * both; anything else (a value folded into the SQL text, a negative `take`
 * sent as its absolute value) is a string saying why the shape cannot be
 * cached. A rule constant or session id that happens
 * to equal a user's value stays a constant: in the probe the leaf changed and
 * it did not.
 */
export function bindParameters(
  real: CapturedStatement,
  probe: CapturedStatement,
  realLeaves: unknown[],
  probeLeaves: unknown[],
): Param[] | string {
  if (real.sql !== probe.sql) return 'the SQL text depends on a value';
  if (real.parameters.length !== probe.parameters.length) return 'the parameter count depends on a value';
  const params: Param[] = [];
  for (let i = 0; i < real.parameters.length; i++) {
    const r = real.parameters[i];
    const p = probe.parameters[i];
    const bound = boundLeaves(r, p, realLeaves, probeLeaves);
    // Probes never collide (probeValues); should two leaves still explain one parameter, which it carries is a guess.
    if (bound.length > 1) return `parameter ${i + 1} matches more than one leaf`;
    if (bound[0]) params.push(bound[0]);
    else if (sameParameter(r, p)) params.push({ constant: r });
    else return 'a parameter derived from a value';
  }
  return params;
}

/** Every leaf whose real and probe values both give this parameter (under one conversion). */
function boundLeaves(r: unknown, p: unknown, realLeaves: unknown[], probeLeaves: unknown[]): Param[] {
  const out: Param[] = [];
  for (let leaf = 0; leaf < realLeaves.length; leaf++) {
    const rl = realLeaves[leaf];
    const pl = probeLeaves[leaf];
    for (const [as, f] of AS) {
      const rv = f(rl);
      if (rv !== undefined && sameParameter(r, rv) && sameParameter(p, f(pl))) {
        out.push({ leaf, as });
        break;
      }
    }
  }
  return out;
}

function sameParameter(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameParameter(v, b[i]));
  return false;
}

export function bindValues(params: Param[], leaves: unknown[]): unknown[] {
  return params.map((p) => {
    if ('constant' in p) return p.constant;
    return p.as === 'same' ? leaves[p.leaf] : convert(p.as, leaves[p.leaf]);
  });
}
