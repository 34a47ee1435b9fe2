import { createSystemDb } from '@acme/db';
import { sql } from 'kysely';

export interface AnsweringServer {
  /** What the server said about itself: a standby is in recovery. */
  standby: boolean;
  /** host:port as the server reports it (inet_server_addr(), inet_server_port()). */
  server: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Which server answers a plain read through the package's replica routing
 * (`pnpm demo --standby` prints it). The server names itself, so this shows
 * where the read ran, not where the router meant to send it. Until the
 * router's monitor has seen a replica up (its first probe, a few ms), reads
 * go to the primary: the read is repeated for up to `waitMs` while the primary
 * answers.
 */
export async function answeringServer(waitMs = 10_000): Promise<AnsweringServer> {
  const db = createSystemDb('demo-replica-check');
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { rows } = await sql<{ standby: boolean; host: string; port: number }>`
      SELECT pg_is_in_recovery() AS standby, host(inet_server_addr()) AS host, inet_server_port() AS port
    `.execute(db.$qb);
    const row = rows[0] as { standby: boolean; host: string; port: number };
    const answer = { standby: row.standby, server: `${row.host}:${row.port}` };
    if (answer.standby || Date.now() >= deadline) return answer;
    await sleep(50);
  }
}
