/**
 * Which failures of a read on a replica mean "ask the primary instead", and
 * what they say about the replica:
 * - `down`: the server refuses connections, is shutting down or starting up,
 *   or the connection broke (SQLSTATE classes 08, 57P, 53; socket errors;
 *   any FATAL): no reads until a probe gets an answer again;
 * - `conflict`: a recovery conflict cancelled the statement (40001, 40P01 on
 *   a standby): the replica stays in use;
 * - `read-only`: the statement tried to write (25006): it belongs on the primary;
 * - `not-in-recovery`: the server was promoted and no longer follows the primary.
 * Anything else (a bad value, a policy refusal) would fail on the primary too
 * and is the caller's error.
 */
export type ReplicaFault = 'down' | 'conflict' | 'read-only' | 'not-in-recovery';

export class NotInRecoveryError extends Error {
  override readonly name = 'NotInRecoveryError';
}

const SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const BROKEN_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed/i;

export function replicaFault(err: unknown): ReplicaFault | undefined {
  if (err instanceof NotInRecoveryError) return 'not-in-recovery';
  const { code, severity, message } = (err ?? {}) as { code?: unknown; severity?: unknown; message?: unknown };
  const sqlstate = typeof code === 'string' ? code : '';
  if (sqlstate === '25006') return 'read-only';
  if (sqlstate === '40001' || sqlstate === '40P01') return 'conflict';
  if (severity === 'FATAL' || /^(08|57P|53)/.test(sqlstate) || SOCKET.has(sqlstate)) return 'down';
  if (typeof message === 'string' && BROKEN_MESSAGE.test(message)) return 'down';
  return undefined;
}
