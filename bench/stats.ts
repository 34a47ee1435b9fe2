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
