/**
 * `tsx scripts/turbo-cache-hit.ts TASK...`: exits non-zero unless every one of turbo's TASKs would come from the
 * cache, i.e. a second run with nothing changed does no work. CI runs it right after the real run; it asks turbo
 * (`--dry=json`, which executes nothing) instead of timing a rerun.
 */
import { execFileSync } from 'node:child_process';

interface DryTask {
  taskId: string;
  command: string;
  cache: { status: 'HIT' | 'MISS'; local: boolean };
}

const tasks = process.argv.slice(2);
if (tasks.length === 0) {
  console.error('usage: tsx scripts/turbo-cache-hit.ts TASK...');
  process.exit(2);
}
const out = execFileSync('turbo', ['run', ...tasks, '--dry=json'], {
  encoding: 'utf8',
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  maxBuffer: 64 * 1024 * 1024,
});
// Packages without the script show up with this placeholder; turbo runs nothing for them.
const real = (JSON.parse(out) as { tasks: DryTask[] }).tasks.filter((t) => t.command !== '<NONEXISTENT>');
const missed = real.filter((t) => t.cache.status !== 'HIT');
if (real.length === 0 || missed.length > 0) {
  console.error(
    `turbo cache: ${missed.length} of ${real.length} tasks would run again: ${missed.map((t) => t.taskId).join(', ')}`,
  );
  process.exit(1);
}
console.log(`turbo cache: all ${real.length} tasks cached (${real.map((t) => t.taskId).join(', ')})`);
