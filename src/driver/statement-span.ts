import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { CompiledQuery } from 'kysely';
import { queriesTotal, querySeconds } from '../observability/metrics.ts';
import { logSlowQuery } from '../observability/slow-query-log.ts';
import type { OperationScope } from '../operation-scope.ts';

const tracer = trace.getTracer('@acme/db');

/** SELECT, INSERT…: the node's kind, or for raw SQL (a query-cache hit) the first word of its text. */
function keywordOf(query: CompiledQuery): string {
  const kind = query.query?.kind;
  if (kind && kind !== 'RawNode') return kind.replace(/QueryNode$/, '').toUpperCase();
  return /^\s*([A-Za-z]+)/.exec(query.sql)?.[1]?.toUpperCase() ?? 'RAW';
}

/**
 * One span, one count and one duration per statement the driver sends for
 * the ORM, with the slow-query log. Attributes carry the SQL with its
 * placeholders ($1, $2…) and the ORM operation: never parameter values, ids,
 * the session or an error message (a driver error can quote a row).
 * Transaction control and the session context are part of the statement's
 * round trip, not statements of their own.
 */
export function statementSpan<T>(
  query: CompiledQuery,
  scope: OperationScope,
  /** DB_SLOW_QUERY_MS, read when the driver was made; 0: off. */
  slowMs: number,
  run: () => Promise<T>,
): Promise<T> {
  const labels = { model: scope.model ?? '', operation: scope.operation ?? '' };
  const keyword = keywordOf(query);
  return tracer.startActiveSpan(keyword, { kind: SpanKind.CLIENT }, async (span) => {
    if (span.isRecording()) {
      span.setAttributes({
        'db.system.name': 'postgresql',
        'db.operation.name': keyword,
        'db.query.text': query.sql,
        ...(scope.model ? { 'db.collection.name': scope.model, 'acme.db.orm.operation': labels.operation } : {}),
      });
    }
    const started = performance.now();
    try {
      return await run();
    } catch (err) {
      span.setAttribute('error.type', String((err as { code?: unknown })?.code ?? 'Error'));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      const ms = performance.now() - started;
      queriesTotal.inc(labels);
      querySeconds.observe(labels, ms / 1000);
      if (slowMs > 0 && ms >= slowMs) logSlowQuery({ durationMs: ms, ...labels, sql: query.sql });
      span.end();
    }
  });
}
