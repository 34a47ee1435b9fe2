import { randomBytes } from 'node:crypto';
import { redactUrl } from '@acme/db/config';
import pg from 'pg';

/** The same connection string pointed at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/** Runs `fn` with one short-lived client; the client is always closed. */
export async function withClient<T>(
  url: string,
  fn: (c: pg.Client) => Promise<T>,
  options: Omit<pg.ClientConfig, 'connectionString'> = {},
): Promise<T> {
  const client = new pg.Client({ ...options, connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database next to `url`'s and returns its URL. Used for
 * throwaway databases (drift checks, test files), always named with a prefix
 * that says what it is for so a leftover is easy to recognise.
 */
export async function createScratchDatabase(url: string, prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(withDatabase(url, 'postgres'), (c) => c.query(`CREATE DATABASE "${name}"`));
  return withDatabase(url, name);
}

export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  await withClient(withDatabase(url, 'postgres'), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** For messages: where a command is pointed, without the password. */
export function describeTarget(url: string): string {
  return redactUrl(url);
}
