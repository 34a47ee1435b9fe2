import { useState } from 'react';
import type { StudioSession } from '../src/sessions.ts';
import { api, useLoad } from './api.ts';
import { BenchView } from './bench-view.tsx';
import { ExplainView } from './explain-view.tsx';
import { MatrixView } from './matrix-view.tsx';
import { RowsView } from './rows-view.tsx';
import { SessionPicker } from './session-picker.tsx';

type Page = { name: 'rows' } | { name: 'explain'; id: string } | { name: 'matrix' } | { name: 'bench' };

export function App() {
  const overview = useLoad('overview', () => api.overview.query());
  const [model, setModel] = useState('Patient');
  const [session, setSession] = useState<StudioSession>({ kind: 'role', role: 'USER' });
  const [includeDeleted, setIncludeDeleted] = useState(false);
  const [page, setPage] = useState<Page>({ name: 'rows' });
  const models = overview.state === 'ready' ? overview.data.models : [model];
  const users = overview.state === 'ready' ? overview.data.users : [];

  return (
    <div className="layout">
      <header>
        <h1>Acme policy studio</h1>
        <nav>
          {(['rows', 'matrix', 'bench'] as const).map((name) => (
            <button
              type="button"
              key={name}
              data-testid={`nav-${name}`}
              className={page.name === name || (name === 'rows' && page.name === 'explain') ? 'active' : ''}
              onClick={() => setPage({ name } as Page)}
            >
              {name === 'rows' ? 'Rows & rules' : name === 'matrix' ? 'Policy matrix' : 'Benchmark'}
            </button>
          ))}
        </nav>
        <span className="readonly">read-only · 127.0.0.1</span>
      </header>
      {(page.name === 'rows' || page.name === 'explain') && (
        <section className="controls">
          <label>
            Model
            <select
              data-testid="model"
              value={model}
              onChange={(e) => {
                setModel(e.target.value);
                setPage({ name: 'rows' });
              }}
            >
              {models.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
          <SessionPicker
            users={users}
            value={session}
            onChange={(s) => {
              setSession(s);
            }}
          />
          <label className="check">
            <input type="checkbox" checked={includeDeleted} onChange={(e) => setIncludeDeleted(e.target.checked)} />
            includeDeleted
          </label>
        </section>
      )}
      <main>
        {page.name === 'rows' && (
          <RowsView
            model={model}
            session={session}
            includeDeleted={includeDeleted}
            onExplain={(id) => setPage({ name: 'explain', id })}
          />
        )}
        {page.name === 'explain' && (
          <ExplainView
            model={model}
            session={session}
            id={page.id}
            includeDeleted={includeDeleted}
            onBack={() => setPage({ name: 'rows' })}
          />
        )}
        {page.name === 'matrix' && <MatrixView />}
        {page.name === 'bench' && <BenchView />}
      </main>
    </div>
  );
}

/** How a session reads in a heading. */
export function describeSession(s: StudioSession): string {
  if (s.kind === 'anonymous') return 'anonymous';
  if (s.kind === 'role') return `${s.role === 'ADMIN' ? 'an' : 'a'} ${s.role} with no memberships`;
  return `${s.id} (${s.role})`;
}
