import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const PRISMA_SCHEMA = 'zenstack/prisma/schema.prisma';
export const MIGRATIONS_DIR = path.join(ROOT, 'migrations');

/**
 * The environment every ZenStack / Prisma CLI call runs with: no telemetry,
 * no update checks, and the client engine type so Prisma never asks for a
 * query-engine library it would have to download.
 */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DO_NOT_TRACK: '1',
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    PRISMA_CLIENT_ENGINE_TYPE: 'client',
    ...extra,
  };
}

/** Loads `.env` from the repo root into process.env (set variables win). */
export function loadDotEnv(): void {
  const file = path.join(ROOT, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

const require = createRequire(import.meta.url);
const BIN = {
  prisma: require.resolve('prisma/build/index.js'),
  zen: path.join(path.dirname(require.resolve('@zenstackhq/cli/package.json')), 'bin/cli'),
} as const;

export interface RunOptions {
  env?: Record<string, string>;
  /** Capture stdout instead of streaming it (stderr always streams unless quiet). */
  capture?: boolean;
  quiet?: boolean;
  cwd?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` with the current Node binary, streaming or capturing its output. */
export function runNode(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: opts.cwd ?? ROOT,
      env: toolEnv(opts.env),
      stdio: ['inherit', opts.capture || opts.quiet ? 'pipe' : 'inherit', opts.quiet ? 'pipe' : 'inherit'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs the prisma or zen CLI; resolves with its exit code and output. */
export function runTool(tool: keyof typeof BIN, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const preload = tool === 'prisma' ? ['--require', path.join(import.meta.dirname, 'unref-engine-timers.cjs')] : [];
  return runNode([...preload, BIN[tool], ...args], opts);
}
