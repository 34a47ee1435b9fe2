import { type Attributes, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type AnyPlugin, ORMError, ORMErrorReason } from '@zenstackhq/orm';
import { withScope } from '../operation-scope.ts';
import { deniedTotal, operationSeconds, operationsTotal } from './metrics.ts';
import { policyOutcome } from './policy-outcome.ts';

/**
 * Traces and metrics per ORM operation: outermost (onQuery), it sees each
 * operation as the caller made it and its final outcome. Each SQL statement
 * gets its span, metrics and slow-query log in the driver
 * (src/driver/statement-span.ts), labelled with the operation set here.
 * `@opentelemetry/api` is a no-op until the app installs an SDK.
 *
 * Attributes carry the model, operation, outcome, row count and the SQL text
 * with its placeholders ($1, $2…): never parameter values, ids, the session's
 * id or an error message (a driver error can quote a row).
 */
const tracer = trace.getTracer('@acme/db');

function rowCount(operation: string, result: unknown): number {
  if (Array.isArray(result)) return result.length;
  if (result === null || result === undefined) return 0;
  const count = (result as { count?: unknown }).count;
  if (operation.endsWith('Many') && typeof count === 'number') return count;
  return 1;
}

export class OperationObservabilityPlugin implements AnyPlugin {
  readonly id = 'observability-operations';
  readonly name = 'Traces and metrics per ORM operation';

  /** `enforced`: the client applies the access rules (createDb); the system client does not. */
  constructor(private readonly enforced: boolean) {}

  onQuery: NonNullable<AnyPlugin['onQuery']> = ({ model, operation, args, proceed, client }) => {
    const attributes: Attributes = {
      'db.system.name': 'postgresql',
      'db.collection.name': model,
      'db.operation.name': operation,
      'acme.db.client': this.enforced ? 'session' : 'system',
    };
    const auth = client.$auth as { role?: unknown; orgId?: unknown; orgSlug?: unknown } | undefined;
    if (typeof auth?.role === 'string') attributes['acme.db.session.role'] = auth.role;
    // Organization mode: the organization the session names (an id or slug, never a connection detail).
    const org = auth?.orgSlug ?? auth?.orgId;
    if (typeof org === 'string') attributes['acme.db.org'] = org;
    return tracer.startActiveSpan(`${model}.${operation}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const started = performance.now();
      const judged = () => policyOutcome(client.$schema, model, operation, client.$auth, this.enforced);
      try {
        const result = await withScope({ model, operation }, () => proceed(args));
        this.finish(span, model, operation, judged(), started, rowCount(operation, result));
        return result;
      } catch (err) {
        const outcome = this.outcomeOfError(err, judged);
        this.finish(span, model, operation, outcome, started);
        if (outcome === 'error') {
          const kind = err instanceof ORMError ? (err.dbErrorCode ?? err.reason) : (err as Error)?.name;
          span.setAttribute('error.type', String(kind ?? 'Error'));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        throw err;
      } finally {
        span.end();
      }
    });
  };

  /** A policy rejection is `denied`; a not-found update/delete under the rules is what they left visible. */
  private outcomeOfError(err: unknown, judged: () => string): string {
    if (!(err instanceof ORMError)) return 'error';
    if (err.reason === ORMErrorReason.REJECTED_BY_POLICY) return 'denied';
    if (err.reason === ORMErrorReason.NOT_FOUND && this.enforced) return judged() === 'denied' ? 'denied' : 'filtered';
    return 'error';
  }

  private finish(span: Span, model: string, operation: string, outcome: string, started: number, rows?: number) {
    span.setAttribute('acme.db.policy.outcome', outcome);
    if (rows !== undefined) span.setAttribute('acme.db.rows', rows);
    operationsTotal.inc({ model, operation, outcome });
    operationSeconds.observe({ model, operation }, (performance.now() - started) / 1000);
    if (outcome === 'denied') deniedTotal.inc({ model, operation });
  }
}
