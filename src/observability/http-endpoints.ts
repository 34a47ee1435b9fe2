import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createDb } from '../client.ts';
import { metricsRegistry } from './metrics.ts';

/** Whether the database answers a trivial statement through the sessions' pool, within `timeoutMs`. */
export async function databaseReachable(timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = createDb(null)
    .$qb.selectNoFrom((eb) => eb.lit(1).as('ok'))
    .execute()
    .then(
      () => true,
      () => false,
    );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ObservabilityEndpointOptions {
  /** Defaults to {@link databaseReachable}. */
  healthCheck?: () => Promise<boolean>;
}

/**
 * A Connect-style middleware (tRPC's standalone `middleware` option, Express,
 * Connect) answering `GET /metrics` (Prometheus text) and `GET /healthz`
 * (200 `{"status":"ok"}` or 503 `{"status":"unavailable"}`: no error text,
 * host or version, since it is usually reachable without a token). Anything
 * else goes to `next`.
 */
export function observabilityMiddleware(opts: ObservabilityEndpointOptions = {}) {
  const healthCheck = opts.healthCheck ?? (() => databaseReachable());
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/healthz')) {
      next();
      return;
    }
    const answer = async () => {
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': metricsRegistry.contentType });
        res.end(await metricsRegistry.metrics());
        return;
      }
      const ok = await healthCheck().catch(() => false);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable' }));
    };
    answer().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
}

/**
 * Puts {@link observabilityMiddleware} in front of an existing server's
 * request handler (e.g. `createApiServer` from @acme/api-contract): the two
 * endpoints are answered here, every other request reaches the server's own
 * handler unchanged.
 */
export function mountObservability<S extends Server>(server: S, opts: ObservabilityEndpointOptions = {}): S {
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  const middleware = observabilityMiddleware(opts);
  server.on('request', (req: IncomingMessage, res: ServerResponse) =>
    middleware(req, res, () => {
      for (const handle of handlers) handle.call(server, req, res);
    }),
  );
  return server;
}
