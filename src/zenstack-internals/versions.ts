import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The exact versions every reach-in of this module was checked against (its
 * contract tests, tests/zenstack-internals/). An upgrade is a one-module
 * review: bump these, run the contract tests, fix what they name.
 */
export const VERIFIED_VERSIONS = {
  '@zenstackhq/orm': '3.9.4',
  '@zenstackhq/plugin-policy': '3.9.4',
  kysely: '0.29.9',
} as const;

const require = createRequire(import.meta.url);

function installedVersion(name: string): string {
  // A package's package.json is not always exported; its entry point is, and the package.json sits above it.
  let dir = path.dirname(require.resolve(name));
  while (dir !== path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (pkg.name === name) return pkg.version;
    } catch {
      // no package.json at this level
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

export class UnverifiedDependencyError extends Error {
  override readonly name = 'UnverifiedDependencyError';
}

/**
 * Refuses to start on ZenStack or Kysely versions the reach-ins were not
 * verified against: a changed internal would otherwise fail far from here,
 * or worse, not fail. `ACME_DB_UNVERIFIED_INTERNALS=warn` starts anyway
 * (for trying an upgrade), with one warning.
 */
export function checkVersions(env = process.env, installed = installedVersion): void {
  const wrong = Object.entries(VERIFIED_VERSIONS)
    .map(([name, verified]) => ({ name, verified, found: installed(name) }))
    .filter((v) => v.found !== v.verified);
  if (wrong.length === 0) return;
  const list = wrong.map((v) => `${v.name} ${v.found} (verified: ${v.verified})`).join(', ');
  const message =
    `@acme/db reaches into ZenStack/Kysely internals verified for other versions: ${list}. ` +
    'Run the contract tests (tests/zenstack-internals/) and update src/zenstack-internals/versions.ts.';
  if (env.ACME_DB_UNVERIFIED_INTERNALS === 'warn') console.warn(`[@acme/db] ${message}`);
  else throw new UnverifiedDependencyError(message);
}
