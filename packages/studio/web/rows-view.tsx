import type { StudioSession } from '../src/sessions.ts';
import { api, useLoad } from './api.ts';
import { describeSession } from './app.tsx';
import { Rules } from './rules.tsx';

interface Props {
  model: string;
  session: StudioSession;
  includeDeleted: boolean;
  onExplain(id: string): void;
}

const cell = (v: unknown) => {
  const text = v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
};

/** The rows a session sees through createDb, the model's rules, and how many rows it does not see and why. */
export function RowsView({ model, session, includeDeleted, onExplain }: Props) {
  const key = JSON.stringify({ model, session, includeDeleted });
  const rows = useLoad(key, () => api.rows.query({ model: model as 'Patient', session, includeDeleted }));
  if (rows.state === 'loading') return <p className="muted">Loading…</p>;
  if (rows.state === 'error') return <p className="error">{rows.message}</p>;
  const { visible, visibleCount, hiddenCount, hidden, hiddenBy, rules } = rows.data;
  const columns = Object.keys(visible[0] ?? {});
  return (
    <div className="rows">
      <h2 data-testid="rows-heading">
        {model} as {describeSession(session)}
      </h2>
      <p className="counts">
        <span className={`badge ${visibleCount ? 'ok' : 'muted'}`} data-testid="visible-count">
          {visibleCount} visible
        </span>
        <span className={`badge ${hiddenCount ? 'no' : 'muted'}`} data-testid="hidden-count">
          {hiddenCount} hidden
        </span>
      </p>
      {hiddenBy.length > 0 && (
        <div className="hidden-by" data-testid="hidden-by">
          <h3>Why rows are hidden</h3>
          <ul>
            {hiddenBy.map((h) => (
              <li key={h.text}>
                <b>{h.count}</b> {h.count === 1 ? 'row' : 'rows'}: <code>{h.text}</code>
              </li>
            ))}
          </ul>
          <p className="muted">
            Reading a row needs one of:{' '}
            {rules
              .filter((r) => r.kind === 'allow' && r.operations.includes('read'))
              .map((r) => (
                <code key={r.index} className="need">
                  {r.index}. {r.text}
                </code>
              ))}
          </p>
        </div>
      )}
      <Rules rules={rules} />
      <h3>Visible rows</h3>
      {visible.length === 0 ? (
        <p className="muted">This session sees no {model} rows.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="visible-rows">
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c}>{c}</th>
                ))}
                <th />
              </tr>
            </thead>
            <tbody>
              {visible.map((row) => (
                <tr key={String(row.id)}>
                  {columns.map((c) => (
                    <td key={c}>{cell(row[c])}</td>
                  ))}
                  <td>
                    <button
                      type="button"
                      className="link"
                      data-testid="explain-row"
                      onClick={() => onExplain(String(row.id))}
                    >
                      explain
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hidden.length > 0 && (
        <>
          <h3>Hidden rows (ids only)</h3>
          <ul className="hidden-rows" data-testid="hidden-rows">
            {hidden.map((h) => (
              <li key={h.id}>
                <code>{h.id}</code>{' '}
                <button type="button" className="link" data-testid="explain-hidden" onClick={() => onExplain(h.id)}>
                  why?
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
