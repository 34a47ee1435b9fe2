/** The README's table of contents lists every `##` / `###` heading, with working anchors (`pnpm docs:toc`). */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { README, tableOfContents, withTableOfContents } from '../scripts/readme-toc.ts';

it('is up to date with the headings (run `pnpm docs:toc`)', () => {
  const readme = readFileSync(README, 'utf8');
  expect(readme).toBe(withTableOfContents(readme));
  const toc = tableOfContents(readme);
  expect(toc).toContain('- [Adding a model](#adding-a-model)');
  expect(toc).toContain('- [The API (`@acme/api-contract`)](#the-api-acmeapi-contract)');
  // Every heading but "Contents" itself (headings inside fenced code are comments, not headings).
  const headings = readme.replace(/^```[\s\S]*?^```/gm, '').match(/^#{2,3} /gm)?.length ?? 0;
  expect(toc.split('\n').length).toBe(headings - 1);
});
