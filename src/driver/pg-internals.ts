import type pg from 'pg';

/**
 * The driver's one non-public use of pg (8.23.1; contract test:
 * tests/driver-pg-internals.test.ts). Same rule as src/zenstack-internals/:
 * fenced here, tested, and failing safe when pg changes it.
 *
 * `client.processID` is the process id the server announced in BackendKeyData
 * at startup (pg keeps it for cancel requests; not in pg's documentation).
 * Connected straight to PostgreSQL, it is the backend's `pg_backend_pid()`.
 * PgBouncer and other poolers send a key of their own, since the backend
 * behind the client changes: so "equal" proves one backend for the client's
 * whole life, which a per-connection session setting needs
 * (session-cache.ts). Absent or not a number: undefined, and the driver
 * treats the connection as pooled (transaction-local context).
 */
export function announcedBackendPid(client: pg.ClientBase): number | undefined {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === 'number' && Number.isInteger(pid) ? pid : undefined;
}
