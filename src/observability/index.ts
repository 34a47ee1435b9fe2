/** `@acme/db/observability`: metrics registry, HTTP endpoints, slow-query logger. Traces need no import. */
export {
  databaseReachable,
  mountObservability,
  type ObservabilityEndpointOptions,
  observabilityMiddleware,
} from './http-endpoints.ts';
export { metricsRegistry } from './metrics.ts';
export { type SlowQuery, setSlowQueryLogger } from './slow-query-log.ts';
