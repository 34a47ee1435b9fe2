/**
 * The README's table of contents, between `<!-- toc -->` and `<!-- /toc -->`, from its `##` and `###`
 * headings (fenced code skipped). `pnpm docs:toc` rewrites it; tests/readme-toc.test.ts fails when a heading
 * was added, renamed or removed without it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const README = path.resolve(import.meta.dirname, '../README.md');
const START = '<!-- toc -->';
const END = '<!-- /toc -->';

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorer() {
  const seen = new Map<string, number>();
  return (heading: string) => {
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  };
}

export function tableOfContents(readme: string): string {
  const anchor = anchorer();
  const lines: string[] = [];
  let fenced = false;
  for (const line of readme.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^(##|###) (.+)$/.exec(line);
    if (!m) continue;
    const [, level, title] = m as unknown as [string, string, string];
    if (title === 'Contents') continue;
    lines.push(`${level === '###' ? '  ' : ''}- [${title.replace(/[[\]]/g, '')}](#${anchor(title)})`);
  }
  return lines.join('\n');
}

/** The README with its table of contents brought up to date. */
export function withTableOfContents(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
  return `${readme.slice(0, start + START.length)}\n${tableOfContents(readme)}\n${readme.slice(end)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  writeFileSync(README, withTableOfContents(readFileSync(README, 'utf8')));
  console.log('[docs:toc] README.md: table of contents rewritten');
}
