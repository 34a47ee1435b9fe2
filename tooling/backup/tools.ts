import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { withClient } from '../database.ts';

const run = promisify(execFile);

export type PgTool = 'pg_dump' | 'pg_restore';

/** The server's major version (`server_version_num` 180004 -> 18). */
export async function serverMajor(url: string): Promise<number> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return Math.floor(Number(rows[0]?.v) / 10_000);
  });
}

/** Where a client binary may be: PG_BIN_DIR alone when set, else Debian's layout for that major, then PATH. */
function candidates(tool: PgTool, major: number): string[] {
  if (process.env.PG_BIN_DIR) return [path.join(process.env.PG_BIN_DIR, tool)];
  const onPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return [`/usr/lib/postgresql/${major}/bin`, ...onPath].map((dir) => path.join(dir, tool));
}

async function majorOf(binary: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(binary, ['--version']);
    const match = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export class MissingPgToolError extends Error {
  override readonly name = 'MissingPgToolError';
}

/**
 * The `tool` binary of exactly `major`: a dump taken with another major's
 * pg_dump is either refused by the server (older) or may not restore into
 * it (newer), so a backup never guesses. When there is none, the error says
 * which version is needed, what was found, and how to get the right one.
 */
export async function findPgTool(tool: PgTool, major: number): Promise<string> {
  const found: string[] = [];
  for (const binary of new Set(candidates(tool, major))) {
    if (!existsSync(binary)) continue;
    const version = await majorOf(binary);
    if (version === major) return binary;
    if (version !== undefined) found.push(`${tool} ${version} at ${binary}`);
  }
  throw new MissingPgToolError(
    `${tool} ${major} is needed: the server runs PostgreSQL ${major}, and a backup uses the client of the same major version. ` +
      `Found ${found.length > 0 ? found.join(', ') : `no ${tool}`}${process.env.PG_BIN_DIR ? ` (PG_BIN_DIR=${process.env.PG_BIN_DIR})` : ''}.\n` +
      `Get it: apt-get install postgresql-client-${major} (Debian 12's own archive has 15; ${major === 15 ? 'it is there' : `${major} comes from the PostgreSQL project's apt repository, PGDG`}), ` +
      `or the client of your server's distribution, then point PG_BIN_DIR at its bin directory if it is not on PATH. ` +
      'The embedded development server (PostgreSQL 18 from npm) ships no pg_dump.',
  );
}
