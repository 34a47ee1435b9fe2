import { createServer, type Server } from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { createHttpContext } from '../context.ts';
import { describeCause } from '../error-cause.ts';
import { appRouter } from '../root.ts';
import { closeAfterRefusal, MAX_BODY_BYTES, refuseOversized, tooLargeMessage } from './body-limit.ts';

export interface ApiServerOptions {
  /** HS256 key the session tokens are signed with (AUTH_SECRET). */
  secret: string;
  /** Request bodies above this get 413 (default 1 MB). */
  maxBodyBytes?: number;
  /** Where a 500's cause goes (default: stderr). Gets no message, SQL or parameter: see `describeCause`. */
  logError?: (line: string) => void;
}

/**
 * The API over HTTP (tRPC's standalone adapter): bearer-token sessions,
 * bodies capped at `maxBodyBytes`, and every INTERNAL_SERVER_ERROR logged
 * with its cause while the client sees only "Internal error". Not listening
 * yet: call `listen(port, '127.0.0.1')`.
 */
export function createApiServer(options: ApiServerOptions): Server {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const logError = options.logError ?? ((line: string) => console.error(line));
  const handler = createHTTPHandler({
    router: appRouter,
    createContext: ({ req }) => createHttpContext(req, options.secret),
    maxBodySize: maxBodyBytes,
    onError: ({ error, path, type }) => {
      // tRPC's own cut-off (a chunked body) says just "PAYLOAD_TOO_LARGE"; onError runs before the
      // response is shaped, so both 413s carry one message.
      if (error.code === 'PAYLOAD_TOO_LARGE') error.message = tooLargeMessage(maxBodyBytes);
      if (error.code !== 'INTERNAL_SERVER_ERROR') return;
      logError(`[api] 500 ${type} ${path ?? '(no path)'}: ${describeCause(error.cause ?? error)}`);
    },
  });
  return createServer((req, res) => {
    if (refuseOversized(req, res, maxBodyBytes)) return;
    closeAfterRefusal(req, res);
    handler(req, res);
  });
}
