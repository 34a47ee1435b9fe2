import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../tooling/tool-env.ts';

/** Runs the fixture with piped stdio, as runDbScript and CI wrappers run the db commands. */
function run(lines: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join('tests', 'fixtures', 'print-lines.ts'), String(lines)],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('exitFlushed (how the db commands exit)', () => {
  it('hands every line to a piped parent before exiting, with the given code', async () => {
    // process.exit here delivered a few hundred of 100,000 lines.
    const { code, stdout, stderr } = await run(100_000);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(100_000);
    expect(lines.at(-1)).toBe('line 99999');
    expect(stderr.trim()).toBe('done');
    expect(code).toBe(3);
  }, 60_000);
});
