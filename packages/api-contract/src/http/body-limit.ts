import type { IncomingMessage, ServerResponse } from 'node:http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';

/** The largest request body the API reads: the biggest valid input (a patient, a treatment) is a few KB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The one message of a 413, whichever check caught the body: the declared length or the bytes counted. */
export const tooLargeMessage = (maxBytes: number) => `Request body too large: at most ${maxBytes} bytes`;

/**
 * Answers 413 before reading anything when the declared `Content-Length`
 * is over the cap, in tRPC's error shape, and closes the connection so the
 * rest of the body is never read. A body without a length (chunked) is
 * counted as it arrives by tRPC's `maxBodySize` and cut off the same way
 * (`closeAfterRefusal`).
 */
export function refuseOversized(req: IncomingMessage, res: ServerResponse, maxBytes: number): boolean {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (!(declared > maxBytes)) return false;
  const message = tooLargeMessage(maxBytes);
  const code = TRPC_ERROR_CODES_BY_KEY.PAYLOAD_TOO_LARGE;
  const body = { error: { message, code, data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, fieldErrors: null } } };
  res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify(body));
  return true;
}

/** After a 413 mid-body, stop reading: close the socket once the response is out. */
export function closeAfterRefusal(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    if (res.statusCode === 413 && !req.complete) req.socket.destroySoon();
  });
}
