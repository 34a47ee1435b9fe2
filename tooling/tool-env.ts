import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
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
  /** Rewrites or drops (null) each output line, streamed or captured. */
  filter?: (line: string) => string | null;
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

/** Applies `filter` line by line to a stream of chunks; `flush` emits a last unterminated line. */
function lineFilter(filter: (line: string) => string | null, emit: (text: string) => void) {
  let pending = '';
  const out = (line: string) => {
    const kept = filter(line);
    if (kept !== null) emit(`${kept}\n`);
  };
  return {
    write(chunk: string) {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(out);
    },
    flush() {
      if (pending) out(pending);
      pending = '';
    },
  };
}

/** Runs `node <args>` with the current Node binary, streaming or capturing its output. */
export function runNode(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const capture = opts.capture || opts.quiet;
    const child = spawn(process.execPath, args, {
      cwd: opts.cwd ?? ROOT,
      env: toolEnv(opts.env),
      // Inherited when untouched, so an interactive prompt (migrate reset) still sees a terminal.
      stdio: ['inherit', capture || opts.filter ? 'pipe' : 'inherit', opts.quiet || opts.filter ? 'pipe' : 'inherit'],
    });
    const result = { stdout: '', stderr: '' };
    const sink = (name: 'stdout' | 'stderr', passThrough: boolean) => {
      const emit = (text: string) => {
        result[name] += text;
        if (passThrough) process[name].write(text);
      };
      const filtered = opts.filter && lineFilter(opts.filter, emit);
      child[name]?.setEncoding('utf8');
      child[name]?.on('data', (d: string) => (filtered ? filtered.write(d) : emit(d)));
      return () => filtered?.flush();
    };
    const flushOut = sink('stdout', !capture);
    const flushErr = sink('stderr', !opts.quiet);
    child.on('error', reject);
    child.on('close', (code) => {
      flushOut();
      flushErr();
      resolve({ code: code ?? 1, ...result });
    });
  });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * What the CLIs print that is wrong or alarming here, and why it is dropped:
 * - ZenStack's "Multiple versions" banner and its list of versions: @zenstackhq/plugin-soft-delete is
 *   3.9.3 (its newest release) and the workspace overrides its ORM dependency to
 *   3.9.4, so one ORM copy is loaded (see pnpm-workspace.yaml);
 * - Prisma's notes that the config file was loaded and that the schema's
 *   datasource `url` is unused: it is kept on purpose (see zenstack/schema.zmodel);
 * - Prisma names the migrations folder `prisma/migrations`; it is `migrations/`.
 */
let inBanner = false;
let lastBlank = true;
export function toolOutput(line: string): string | null {
  const kept = keptToolLine(line);
  // What is dropped leaves runs of blank lines behind: keep one.
  const blank = kept !== null && kept.trim() === '';
  if (kept === null || (blank && lastBlank)) return null;
  lastBlank = blank;
  return kept;
}

function keptToolLine(line: string): string | null {
  const plain = line.replace(ANSI, '');
  if (/^\/{20,}$/.test(plain.trim())) {
    inBanner = !inBanner;
    return null;
  }
  if (inBanner) return null;
  // The banner's version list: on stdout while the banner's frame is on stderr, so outside the frame.
  if (/^\t@zenstackhq\/\S+\s+\S+\s*$/.test(plain)) return null;
  if (
    /^(Loaded Prisma config|Prisma config detected|Prisma schema loaded from|Datasource "db":|WARNING: Your schema specifies the following datasource|- url$|The values from your schema will NOT be used|We recommend you to remove those properties)/.test(
      plain,
    )
  ) {
    return null;
  }
  if (/^Database schema is up to date!/.test(plain)) return 'All migrations have been applied.';
  return line.replace(/(\d+ migrations? found in) prisma\/migrations/, '$1 migrations/');
}

/** Runs the prisma or zen CLI; resolves with its exit code and output. */
export function runTool(tool: keyof typeof BIN, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const preload = tool === 'prisma' ? ['--require', path.join(import.meta.dirname, 'unref-engine-timers.cjs')] : [];
  return runNode([...preload, BIN[tool], ...args], { filter: toolOutput, ...opts });
}
