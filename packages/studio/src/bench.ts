import { existsSync, readFileSync } from 'node:fs';

export interface BenchView {
  present: boolean;
  file: string;
  date?: string;
  quick?: boolean;
  /** Per workload, per contestant: p50 latency ÷ raw pg's p50 (1 = as fast as raw pg). */
  ratios?: Record<string, Record<string, number>>;
}

/** The benchmark's latest results (pnpm bench writes bench/results.json), as ratios to raw pg. */
export function readBench(file: string): BenchView {
  if (!existsSync(file)) return { present: false, file };
  const data = JSON.parse(readFileSync(file, 'utf8')) as {
    date?: string;
    quick?: boolean;
    ratios?: Record<string, Record<string, { p50VsPg?: number }>>;
  };
  const ratios = Object.fromEntries(
    Object.entries(data.ratios ?? {}).map(([workload, byContestant]) => [
      workload,
      Object.fromEntries(
        Object.entries(byContestant)
          .filter(([, r]) => typeof r.p50VsPg === 'number' && Number.isFinite(r.p50VsPg))
          .map(([c, r]) => [c, r.p50VsPg as number]),
      ),
    ]),
  );
  return { present: true, file, date: data.date, quick: data.quick, ratios };
}
