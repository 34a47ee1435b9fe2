import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ENTRIES = [
  'package.json',
  'prisma.config.ts',
  'tsconfig.json',
  'zenstack',
  'migrations',
  'migrations-central',
  'scripts',
  'tooling',
  'src',
  'lib',
  'packages',
  'tests/policy-fuzz/rules-oracle.ts', // the demo's policy matrix reads it (tooling/policy-probe.ts)
];
/** What `pnpm typecheck` reads beyond ENTRIES (tsconfig.json's include). */
const TYPECHECKED = [
  'tests',
  'bench',
  'vitest.config.ts',
  'vitest.shared.ts',
  'vitest.faults.config.ts',
  'vitest.policy-fuzz.config.ts',
];

/**
 * Runs `fn` in a throwaway copy of the repo (sharing node_modules), for tests
 * that change the schema or the migrations the way a developer would.
 */
export async function withRepoCopy(
  fn: (copy: string) => Promise<void>,
  opts: { privateParent?: boolean; ownPackages?: boolean; typecheck?: boolean } = {},
): Promise<void> {
  // privateParent: the copy sits in a mode-700 directory, like a clone under /root.
  const parent = opts.privateParent ? mkdtempSync(path.join(tmpdir(), 'acme-private-')) : undefined;
  const copy = parent ? path.join(parent, 'repo') : mkdtempSync(path.join(tmpdir(), 'acme-repo-'));
  if (parent) mkdirSync(copy);
  // As root, embedded PostgreSQL runs as the `postgres` user, which must reach .data/ inside the copy.
  chmodSync(copy, 0o755);
  try {
    // Verbatim: the workspace links (packages/*/node_modules/@acme/db -> ../../..) point into the copy, not here.
    for (const entry of [...ENTRIES, ...(opts.typecheck ? TYPECHECKED : [])]) {
      cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true, verbatimSymlinks: true });
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    await fn(copy);
  } finally {
    rmSync(parent ?? copy, { recursive: true, force: true });
  }
}
