/**
 * Detached companion of an embedded PostgreSQL (see `watchOwner`):
 * `watchdog.ts <owner pid> <postmaster pid> [data dir to remove]`.
 * Stops the server once its owner is gone, then exits; exits at once when the
 * server stops first.
 */
import { rmSync } from 'node:fs';
import { isAlive, stopPostmaster } from './process.ts';

const [owner, postmaster] = process.argv.slice(2, 4).map(Number) as [number, number];
const removeDir = process.argv[4];

const timer = setInterval(async () => {
  if (!isAlive(postmaster)) return clearInterval(timer);
  if (isAlive(owner)) return;
  clearInterval(timer);
  await stopPostmaster(postmaster);
  if (removeDir) rmSync(removeDir, { recursive: true, force: true });
}, 500);
