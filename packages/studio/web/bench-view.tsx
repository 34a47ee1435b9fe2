import { api, useLoad } from './api.ts';

/** bench/results.json as bars: each contestant's p50 latency as a multiple of raw pg's, per workload. */
export function BenchView() {
  const b = useLoad('bench', () => api.bench.query());
  if (b.state === 'loading') return <p className="muted">Loading…</p>;
  if (b.state === 'error') return <p className="error">{b.message}</p>;
  if (!b.data.present) {
    return (
      <div data-testid="bench-absent">
        <h2>Benchmark</h2>
        <p>
          No benchmark results yet: <code>{b.data.file}</code> does not exist. Run <code>pnpm bench</code> (or{' '}
          <code>pnpm bench -- --quick</code>) to write it.
        </p>
      </div>
    );
  }
  const ratios = b.data.ratios ?? {};
  const max = Math.max(1, ...Object.values(ratios).flatMap((byC) => Object.values(byC)));
  return (
    <div data-testid="bench">
      <h2>Benchmark: p50 latency ÷ raw pg</h2>
      <p className="muted">
        {b.data.date}
        {b.data.quick ? ' · quick run' : ''} · 1.0 = as fast as raw pg; longer is slower
      </p>
      <div className="charts">
        {Object.entries(ratios).map(([workload, byC]) => (
          <figure key={workload} className="chart">
            <figcaption>{workload}</figcaption>
            {Object.entries(byC).map(([contestant, ratio]) => (
              <div key={contestant} className="bar-row">
                <span className="bar-label">{contestant}</span>
                <span className="bar-track">
                  <span className="bar" style={{ width: `${(ratio / max) * 100}%` }} />
                </span>
                <span className="bar-value">{ratio.toFixed(2)}×</span>
              </div>
            ))}
          </figure>
        ))}
      </div>
    </div>
  );
}
