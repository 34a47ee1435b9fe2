/**
 * How ZenStack's transformInput sends a filter value to pg, copied for the
 * query cache's binding (bind.ts): a parameter is bound to a leaf as it is,
 * a Date as ISO text, a Decimal (or a number for a Decimal column) as its
 * text, and a `startsWith`/`endsWith`/`contains` string as ZenStack's LIKE
 * pattern (its escaping of `\`, `%` and `_`, then the wildcards). The
 * contract test compiles each through ZenStack and checks the parameter is
 * exactly this conversion of the value.
 */
export type As = 'same' | 'iso' | 'text' | 'like-prefix' | 'like-suffix' | 'like-contains';

/** ZenStack's escapeLikePattern (BaseCrudDialect), with `escape '\'` in the SQL it builds. */
const escapeLike = (s: string) => s.replace(/\\/g, '\\\\').replace(/%/g, '\\%').replace(/_/g, '\\_');
const like = (before: string, after: string) => (leaf: unknown) =>
  typeof leaf === 'string' ? `${before}${escapeLike(leaf)}${after}` : undefined;

export const AS: [As, (leaf: unknown) => unknown][] = [
  ['same', (leaf) => leaf],
  ['iso', (leaf) => (leaf instanceof Date ? leaf.toISOString() : undefined)],
  [
    'text',
    (leaf) =>
      (typeof leaf === 'object' && leaf !== null && !(leaf instanceof Date)) || typeof leaf === 'number'
        ? String(leaf)
        : undefined,
  ],
  ['like-prefix', like('', '%')],
  ['like-suffix', like('%', '')],
  ['like-contains', like('%', '%')],
];
export const convert = (as: As, leaf: unknown) =>
  (AS.find(([name]) => name === as) as [As, (l: unknown) => unknown])[1](leaf);
