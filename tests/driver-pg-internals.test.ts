/**
 * Contract tests of what the driver needs from pg beyond its documentation
 * (src/driver/pg-internals.ts) and of the public way the budget's client
 * sees pg-pool's connect timeout (src/driver/permit-client.ts). A pg upgrade
 * that changes either fails here, not in production.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ConnectionBudgetTimeoutError, permitClient } from '../src/driver/permit-client.ts';
import { announcedBackendPid } from '../src/driver/pg-internals.ts';

const viaPooler = Boolean(process.env.TEST_APP_VIA);

describe('pg: the backend pid announced at startup', () => {
  it('is the session pid on a direct connection, and not through a pooler', async () => {
    const client = new pg.Client({ connectionString: process.env.APP_DATABASE_URL });
    await client.connect();
    try {
      const announced = announcedBackendPid(client);
      expect(typeof announced).toBe('number');
      const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
      if (viaPooler) expect(rows[0].pid).not.toBe(announced);
      else expect(rows[0].pid).toBe(announced);
    } finally {
      await client.end();
    }
  });

  it('is undefined before the client connected (the driver then treats it as pooled)', () => {
    expect(announcedBackendPid(new pg.Client({ connectionString: process.env.DATABASE_URL }))).toBeUndefined();
  });
});

describe('the budget client and pg-pool’s connect timeout', () => {
  it('a permit granted after the pool gave up opens no connection and is returned', async () => {
    let returned = 0;
    let onReturn = () => {};
    const wasReturned = new Promise<void>((resolve) => {
      onReturn = resolve;
    });
    // The permit comes well after pg-pool's 50 ms connect timeout destroyed the socket (no time is asserted).
    const permits = {
      acquire: () => new Promise<void>((resolve) => setTimeout(resolve, 300)),
      release: () => {
        returned++;
        onReturn();
      },
    };
    const name = `permit-${process.pid}-${Date.now()}`;
    const pool = new pg.Pool({
      connectionString: process.env.DATABASE_URL,
      Client: permitClient(permits, 50),
      connectionTimeoutMillis: 50,
      application_name: name,
    });
    pool.on('error', () => {});
    try {
      const err = await pool.connect().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/timeout/);
      expect((err as { cause?: unknown }).cause).toBeInstanceOf(ConnectionBudgetTimeoutError);
      await wasReturned;
      expect(returned).toBe(1);
      const watcher = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await watcher.connect();
      const { rows } = await watcher.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [name],
      );
      await watcher.end();
      expect(rows[0].n).toBe(0);
      expect(pool.totalCount).toBe(0);
    } finally {
      await pool.end();
    }
  });

  it('with a permit at once, the client connects and gives the permit back when it ends', async () => {
    let returned = 0;
    let onReturn = () => {};
    const wasReturned = new Promise<void>((resolve) => {
      onReturn = resolve;
    });
    const permits = {
      acquire: async () => {},
      release: () => {
        returned++;
        onReturn();
      },
    };
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, Client: permitClient(permits, 5_000) });
    const { rows } = await pool.query('SELECT 1 AS one');
    expect(rows[0].one).toBe(1);
    expect(returned).toBe(0);
    await pool.end();
    await wasReturned;
    expect(returned).toBe(1);
  });
});
