export interface Summary {
  p50: number;
  p99: number;
  opsPerSec: number;
  samples: number;
}

/** Latencies in milliseconds -> p50 / p99 and throughput of a sequential loop. */
export function summarize(latencies: number[]): Summary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const total = sorted.reduce((s, x) => s + x, 0);
  return { p50: at(0.5), p99: at(0.99), opsPerSec: sorted.length / (total / 1000), samples: sorted.length };
}

export const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)}µs` : `${ms.toFixed(2)}ms`);

export interface Ratios {
  /** p50 ÷ raw pg's p50. */
  p50VsPg: number;
  /** p50 ÷ ZenStack-without-policies' p50. */
  p50VsZenStack: number;
  /** raw pg's throughput ÷ this throughput (how many times slower under load). */
  throughputVsPg: number;
}

/** Each contestant's ratios within one workload, against the named floor and ZenStack baselines. */
export function ratios(byContestant: Record<string, Summary>, floor: string, zen: string): Record<string, Ratios> {
  const base = byContestant[floor];
  const plain = byContestant[zen];
  const round = (x: number) => Math.round(x * 100) / 100;
  return Object.fromEntries(
    Object.entries(byContestant).map(([name, s]) => [
      name,
      {
        p50VsPg: round(s.p50 / (base?.p50 ?? Number.NaN)),
        p50VsZenStack: round(s.p50 / (plain?.p50 ?? Number.NaN)),
        throughputVsPg: round((base?.opsPerSec ?? Number.NaN) / s.opsPerSec),
      },
    ]),
  );
}
