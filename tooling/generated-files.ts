import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './tool-env.ts';

/** What `pnpm db:generate` writes: everything under zenstack/ but the .zmodel sources. */
const GENERATED_DIR = 'zenstack';

/** Each generated file (path from the repo root) with a hash of its content. */
export function snapshotGenerated(root: string = ROOT): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (!entry.name.endsWith('.zmodel')) {
        files.set(
          rel,
          createHash('sha256')
            .update(readFileSync(path.join(root, rel)))
            .digest('hex'),
        );
      }
    }
  };
  walk(GENERATED_DIR);
  return files;
}

/** Files written, rewritten with other content, or removed between two snapshots, sorted. */
export function changedGenerated(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}
