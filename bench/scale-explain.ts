/**
 * For bench/scale.ts: the statements a call really sends (captured at the pg
 * client, whatever built them), each run again under EXPLAIN (ANALYZE,
 * BUFFERS) on a connection of its own, so the report shows which index each
 * one used at the largest size. BEGIN/COMMIT/set_config are not captured.
 */
import pg from 'pg';

export interface Plan {
  label: string;
  /** 1-based: the call's n-th captured statement. */
  index: number;
  sql: string;
  /** The plan's nodes (scans, joins, sorts, limits), its top buffers line and the times. */
  summary: string[];
  /** The whole plan, at most PLAN_LINES lines. */
  plan: string[];
}

const PLAN_LINES = 80;
const NODE = /Scan|Join|Sort|Limit|Nested Loop|Aggregate|Hash|Memoize|SubPlan|Result/;

type Captured = { sql: string; values: unknown[] };

async function capture(run: () => Promise<unknown>): Promise<Captured[]> {
  const seen: Captured[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [first, second] = args as [unknown, unknown];
    const sql = typeof first === 'string' ? first : (first as { text?: string } | null)?.text;
    const values = Array.isArray(second) ? second : ((first as { values?: unknown[] } | null)?.values ?? []);
    if (sql && /^\s*(select|with)\b/i.test(sql)) seen.push({ sql, values });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await run().catch(() => {}); // a call that times out still shows what it sent
  } finally {
    pg.Client.prototype.query = original;
  }
  return seen;
}

/**
 * EXPLAIN ANALYZE runs the statement: one that outlasts `analyzeTimeoutMs`
 * gets a plain EXPLAIN instead (the plan, no timings).
 */
export async function explainCalls(
  url: string,
  calls: (readonly [string, () => Promise<unknown>])[],
  analyzeTimeoutMs: number,
) {
  const plans: Plan[] = [];
  for (const [label, run] of calls) {
    const statements = await capture(run);
    const client = new pg.Client({ connectionString: url, statement_timeout: analyzeTimeoutMs });
    await client.connect();
    try {
      for (const [i, s] of statements.entries()) {
        const explain = (how: string) =>
          client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${how} ${s.sql}`, s.values).then((r) => r.rows);
        const rows = await explain('(ANALYZE, BUFFERS)').catch(async (err: { code?: string }) => {
          if (err.code !== '57014') throw err;
          return [
            { 'QUERY PLAN': `(EXPLAIN ANALYZE did not finish in ${analyzeTimeoutMs / 1000} s: plan only)` },
            ...(await explain('')),
          ];
        });
        const plan = rows.map((r) => r['QUERY PLAN']);
        const buffers = plan.find((l) => l.trim().startsWith('Buffers:'));
        const summary = [
          ...plan.filter((l) => NODE.test(l) && !l.trim().startsWith('Buffers:')).map((l) => l.replace(/\s+$/, '')),
          ...(buffers ? [`  top node ${buffers.trim()}`] : []),
          ...plan.filter((l) => /^(Planning|Execution) Time|^\(EXPLAIN/.test(l)),
        ];
        plans.push({ label, index: i + 1, sql: s.sql, summary, plan: plan.slice(0, PLAN_LINES) });
      }
    } finally {
      await client.end();
    }
  }
  return plans;
}
