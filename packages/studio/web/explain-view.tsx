import type { StudioSession } from '../src/sessions.ts';
import { api, useLoad } from './api.ts';
import { describeSession } from './app.tsx';

interface Props {
  model: string;
  session: StudioSession;
  id: string;
  includeDeleted: boolean;
  onBack(): void;
}

const OPERATIONS = ['read', 'create', 'update', 'post-update', 'delete'] as const;
const shown = (v: unknown) => (v === true ? 'true' : v === false ? 'false' : 'n/a');

/** For one row: per operation, each rule's value, the verdict, the deciding rule, and what else it depends on. */
export function ExplainView({ model, session, id, includeDeleted, onBack }: Props) {
  const key = JSON.stringify({ model, session, id, includeDeleted });
  const e = useLoad(key, () => api.explainRow.query({ model: model as 'Patient', session, id, includeDeleted }));
  return (
    <div className="explain">
      <button type="button" className="link" onClick={onBack}>
        ← rows
      </button>
      <h2 data-testid="explain-heading">
        Why {describeSession(session)} may or may not touch {model} <code>{id}</code>
      </h2>
      {e.state === 'loading' && <p className="muted">Loading…</p>}
      {e.state === 'error' && <p className="error">{e.message}</p>}
      {e.state === 'ready' && !e.data.found && <p className="error">No {model} with that id.</p>}
      {e.state === 'ready' && e.data.found && (
        <div className="operations">
          {OPERATIONS.map((op) => {
            const v = e.data.operations[op];
            if (!v) return null;
            return (
              <section key={op} className="operation" data-testid={`op-${op}`}>
                <h3>
                  {op}{' '}
                  <span className={`badge ${v.allowed ? 'ok' : 'no'}`} data-testid={`verdict-${op}`}>
                    {v.allowed ? 'allowed' : 'denied'}
                  </span>
                </h3>
                <p className="decided" data-testid={`decided-${op}`}>
                  decided by <code>{v.decidedBy.text}</code>
                </p>
                <table className="rule-values">
                  <tbody>
                    {v.rules.map((r) => (
                      <tr
                        key={r.index}
                        className={
                          v.decidedBy.by === 'rule' && 'index' in v.decidedBy && v.decidedBy.index === r.index
                            ? 'decider'
                            : ''
                        }
                      >
                        <td className={`value v-${shown(r.value).replace('/', '')}`}>{shown(r.value)}</td>
                        <td>
                          <code>{r.text}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {v.dependsOn.length > 0 && (
                  <ul className="depends">
                    {v.dependsOn.map((d) => (
                      <li key={d}>{d}</li>
                    ))}
                  </ul>
                )}
              </section>
            );
          })}
        </div>
      )}
    </div>
  );
}
