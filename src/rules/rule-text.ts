import type { Expression } from '@zenstackhq/schema';
import type { Expr } from '../rls/expression-sql.ts';

/**
 * A rule's condition written back as ZModel source, from the expression tree
 * that zenstack/schema.ts carries. Rendering (rather than copying text out of
 * the .zmodel files at generate time) keeps the text and the rule that is
 * enforced one and the same thing: nothing extra to generate, nothing to drift.
 * Parentheses follow operator precedence, so the text may differ from the
 * source in spacing and redundant parentheses only.
 */
export function ruleText(e: Expression): string {
  return render(e as unknown as Expr, 0);
}

// Higher binds tighter (ZModel: || < && < comparisons < collection predicates).
const PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 3,
  '<=': 3,
  '>': 3,
  '>=': 3,
  in: 3,
};

function render(e: Expr, outer: number): string {
  switch (e.kind) {
    case 'literal':
      return typeof e.value === 'string' ? `'${e.value.replace(/'/g, "\\'")}'` : String(e.value);
    case 'null':
      return 'null';
    case 'this':
      return 'this';
    case 'field':
      return String(e.field);
    case 'member':
      return `${render(e.receiver as Expr, 9)}.${(e.members as string[]).join('.')}`;
    case 'call':
      return `${String(e.function)}(${((e.args as Expr[] | undefined) ?? []).map((a) => render(a, 0)).join(', ')})`;
    case 'array':
      return `[${(e.items as Expr[]).map((i) => render(i, 0)).join(', ')}]`;
    case 'unary':
      return `${String(e.op)}${render(e.operand as Expr, 9)}`;
    case 'binary': {
      const op = e.op as string;
      if (op === '?' || op === '!' || op === '^') {
        return `${render(e.left as Expr, 9)}${op}[${render(e.right as Expr, 0)}]`;
      }
      const p = PRECEDENCE[op] ?? 3;
      const text = `${render(e.left as Expr, p)} ${op} ${render(e.right as Expr, p + 1)}`;
      return p < outer ? `(${text})` : text;
    }
    default:
      return `<${e.kind}>`;
  }
}
