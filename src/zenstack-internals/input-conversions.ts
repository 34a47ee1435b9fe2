/**
 * How ZenStack's transformInput sends a filter value to pg, copied for the
 * query cache's binding (bind.ts): a parameter is bound to a leaf as it is,
 * a Date as ISO text, a Decimal (or a number for a Decimal column) as its
 * text. The contract test compiles each through ZenStack and checks the
 * parameter is exactly this conversion of the value.
 */
export type As = 'same' | 'iso' | 'text';

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
];
export const convert = (as: As, leaf: unknown) =>
  (AS.find(([name]) => name === as) as [As, (l: unknown) => unknown])[1](leaf);
