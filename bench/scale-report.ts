/** bench/scale.ts's cells (p50/p95 of one workload, contestant and size) and its markdown table. */
import { fmt } from './stats.ts';

export interface Cell {
  p50: number;
  p95: number;
  samples: number;
  /** Set when a call hit statement_timeout: the cell has no latencies. */
  timedOutMs?: number;
  /** Not tried: a smaller page timed out at this table size. */
  notRun?: boolean;
}

const at = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

/** Latencies in milliseconds -> p50 / p95 (bench/stats.ts has p99, too few samples here for it to mean much). */
export function cell(xs: number[]): Cell {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: at(s, 0.5), p95: at(s, 0.95), samples: s.length };
}

const k = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);

/**
 * One row per workload and contestant, one column per table size (keys are
 * clinic counts, plus `extra`: the largest size measured once more, without
 * the (name, id) index), and the largest ÷ smallest p50.
 */
export function markdownTable(
  results: Record<string, Record<string, Record<string, Cell>>>,
  contestants: string[],
  first: string,
  last: string,
  extra: string,
): string {
  const columns = Object.keys(results); // integer-like keys first, ascending, then `extra`
  const title = (col: string) => (col === extra ? `${k(Number(last))} without (name, id) index` : k(Number(col)));
  const ratioOf = (w: string, c: string) =>
    (results[last]?.[w]?.[c]?.p50 ?? Number.NaN) / (results[first]?.[w]?.[c]?.p50 ?? Number.NaN);
  const lines = [
    `| workload | contestant | ${columns.map((col) => `${title(col)} p50 / p95`).join(' | ')} | ${title(last)} ÷ ${title(first)} (p50) |`,
    `| --- | --- | ${columns.map(() => '---').join(' | ')} | --- |`,
  ];
  for (const w of Object.keys(results[first] ?? {}))
    for (const c of contestants) {
      const cells = columns.map((col) => {
        const x = results[col]?.[w]?.[c];
        if (x?.notRun) return 'not run (smaller page timed out)';
        if (x?.timedOutMs) return `> ${x.timedOutMs / 1000} s (timeout)`;
        return x ? `${fmt(x.p50)} / ${fmt(x.p95)}${x.samples < 10 ? ` (n=${x.samples})` : ''}` : '–';
      });
      lines.push(`| ${w} | ${c} | ${cells.join(' | ')} | ${ratioOf(w, c).toFixed(2)} |`);
    }
  return lines.join('\n');
}
