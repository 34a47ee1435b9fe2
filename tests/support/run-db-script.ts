import { runNode } from '../../tooling/tool-env.ts';

/** Runs `scripts/db.ts <args>` as `pnpm db:*` does, against `databaseUrl`, in `cwd` (the repo by default). */
export async function runDbScript(args: string[], databaseUrl: string, cwd?: string, env: Record<string, string> = {}) {
  const res = await runNode(['--import', 'tsx', 'scripts/db.ts', ...args], {
    env: { DATABASE_URL: databaseUrl, ...env },
    quiet: true,
    ...(cwd ? { cwd } : {}),
  });
  return { code: res.code, output: res.stdout + res.stderr };
}
