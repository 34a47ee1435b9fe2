import { api, useLoad } from './api.ts';

const OPERATIONS = ['read', 'create', 'update', 'delete'];
// `n/a`: a model with no row to probe yet (a new one), not an error.
const CLASS: Record<string, string> = { allowed: 'yes', denied: 'no', 'n/a': 'muted' };
const TEXT: Record<string, string> = { allowed: 'yes', denied: 'no', 'n/a': '-' };

/** What each session may do to each model, observed against the database (every probe rolled back). */
export function MatrixView() {
  const m = useLoad('matrix', () => api.matrix.query());
  if (m.state === 'loading') return <p className="muted">Probing the database (every probe rolled back)…</p>;
  if (m.state === 'error') return <p className="error">{m.message}</p>;
  if (!m.data.available) return <p className="muted">The live matrix is not available in this studio.</p>;
  const rows = new Map<string, Record<string, string>>();
  for (const c of m.data.cells) {
    const key = `${c.session}\u0000${c.model}`;
    rows.set(key, { ...rows.get(key), [c.operation]: c.outcome });
  }
  return (
    <div>
      <h2>Live policy matrix</h2>
      <p className="muted">
        Observed against the database by tooling/policy-probe.ts: disposable rows, every probe in a rolled-back
        transaction, the rows removed afterwards. Every model of the schema; - is a model with no row to probe yet.
      </p>
      <table className="matrix" data-testid="matrix">
        <thead>
          <tr>
            <th>session</th>
            <th>model</th>
            {OPERATIONS.map((o) => (
              <th key={o}>{o}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {[...rows].map(([key, ops]) => {
            const [session, model] = key.split('\u0000');
            return (
              <tr key={key}>
                <td>{session}</td>
                <td>{model}</td>
                {OPERATIONS.map((o) => (
                  <td key={o} className={CLASS[ops[o] ?? ''] ?? 'err'}>
                    {TEXT[ops[o] ?? ''] ?? ops[o] ?? '?'}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
