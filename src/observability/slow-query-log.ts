import { DbConfigError } from '../errors/index.ts';

/** DB_SLOW_QUERY_MS: statements that take at least this long are logged; unset or 0 = off. */
export function slowQueryThresholdMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env.DB_SLOW_QUERY_MS;
  if (raw === undefined || raw === '') return 0;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new DbConfigError(`DB_SLOW_QUERY_MS must be a number >= 0, got "${raw}"`);
  return value;
}

export interface SlowQuery {
  durationMs: number;
  model: string;
  operation: string;
  /** With placeholders only: the values never reach the log. */
  sql: string;
}

type SlowQuerySink = (entry: SlowQuery) => void;
let sink: SlowQuerySink = (entry) =>
  console.warn(`[@acme/db] slow query ${JSON.stringify({ ...entry, durationMs: Math.round(entry.durationMs) })}`);

/** One line per slow statement, when it finishes (a statement is never logged twice). */
export function logSlowQuery(entry: SlowQuery): void {
  sink(entry);
}

/** Sends slow-query entries to your logger instead of console.warn; returns the previous sink. */
export function setSlowQueryLogger(next: SlowQuerySink): SlowQuerySink {
  const previous = sink;
  sink = next;
  return previous;
}
