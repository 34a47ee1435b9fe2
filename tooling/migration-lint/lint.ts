import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { runNode } from '../tool-env.ts';
import { ALLOWED_FINDINGS } from './allowlist.ts';
import { ENFORCED_RULES, isDestructive, LINT_PG_VERSION } from './rules.ts';

/**
 * Lints migrations with squawk (squawk-cli, pinned) before they are applied.
 * A finding of an enforced rule (rules.ts) stops the
 * migration unless it is acknowledged, in the file itself:
 *
 *   -- acme:allow ban-drop-column because deploy 3 of the rename; nothing reads "description" since deploy 2
 *
 * or, for migrations committed before the lint, in allowlist.ts.
 */
export interface LintFinding {
  migration: string;
  rule: string;
  /** 1-based line in migration.sql. */
  line: number;
  message: string;
  destructive: boolean;
  /** The reason given, when acknowledged. */
  acknowledged?: string;
}

const ACK = /^\s*--\s*acme:allow\s+(.*)$/gm;
const ACK_BODY = /^([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s+because\s+(\S.*)$/;

/** The acknowledgements a migration carries; a malformed one is a finding itself (a typo must not pass silently). */
export function acknowledgements(migration: string, sql: string): { acks: Map<string, string>; bad: LintFinding[] } {
  const acks = new Map<string, string>();
  const bad: LintFinding[] = [];
  for (const match of sql.matchAll(ACK)) {
    const line = sql.slice(0, match.index).split('\n').length;
    const body = ACK_BODY.exec((match[1] ?? '').trim());
    const rules = body?.[1]?.split(',').map((r) => r.trim()) ?? [];
    const unknown = rules.filter((r) => !ENFORCED_RULES.includes(r));
    if (!body || unknown.length > 0) {
      bad.push({
        migration,
        rule: 'invalid-acknowledgement',
        line,
        message: body
          ? `unknown rule ${unknown.join(', ')} (enforced rules: ${ENFORCED_RULES.join(', ')})`
          : 'write it as `-- acme:allow <rule>[, <rule>] because <reason>`',
        destructive: false,
      });
      continue;
    }
    for (const rule of rules) acks.set(rule, body[2] as string);
  }
  for (const entry of ALLOWED_FINDINGS) if (entry.migration === migration) acks.set(entry.rule, entry.because);
  return { acks, bad };
}

const require = createRequire(import.meta.url);
const SQUAWK = path.join(path.dirname(require.resolve('squawk-cli/package.json')), 'js/bin/squawk');

interface SquawkViolation {
  file: string;
  line: number;
  rule_name: string;
  message: string;
  help?: string;
}

/** Lints `migrations` (folder names under `dir`), one squawk run for all of them. */
export async function lintMigrations(dir: string, migrations: readonly string[]): Promise<LintFinding[]> {
  if (migrations.length === 0) return [];
  const files = migrations.map((m) => path.join(dir, m, 'migration.sql'));
  // Each migration runs as one multi-statement query, i.e. one implicit
  // transaction: squawk then knows an index on a table created in the same
  // file blocks nobody.
  const args = [SQUAWK, `--pg-version=${LINT_PG_VERSION}`, '--assume-in-transaction', '--reporter', 'json'];
  const res = await runNode([...args, ...files], { quiet: true });
  let violations: SquawkViolation[];
  try {
    violations = JSON.parse(res.stdout || '[]');
  } catch {
    throw new Error(`squawk failed (exit ${res.code}): ${res.stderr || res.stdout}`);
  }
  const findings: LintFinding[] = [];
  for (const [i, migration] of migrations.entries()) {
    const { acks, bad } = acknowledgements(migration, readFileSync(files[i] as string, 'utf8'));
    findings.push(...bad);
    for (const v of violations) {
      if (path.resolve(v.file) !== path.resolve(files[i] as string) || !ENFORCED_RULES.includes(v.rule_name)) continue;
      const reason = acks.get(v.rule_name);
      findings.push({
        migration,
        rule: v.rule_name,
        line: v.line + 1, // squawk's JSON lines are 0-based
        message: v.help ? `${v.message} ${v.help}` : v.message,
        destructive: isDestructive(v.rule_name),
        ...(reason ? { acknowledged: reason } : {}),
      });
    }
  }
  return findings;
}

export type LintMode =
  /** db:migrate and CI: every unacknowledged finding blocks (db:migrate: unless --allow-unsafe). */
  | 'strict'
  /** db:migrate:deploy: only data loss blocks; lock findings were CI's to stop, and are printed. */
  | 'deploy';

export function blocking(findings: readonly LintFinding[], mode: LintMode): LintFinding[] {
  return findings.filter(
    (f) => !f.acknowledged && (mode === 'strict' || f.destructive || f.rule === 'invalid-acknowledgement'),
  );
}

/** Human-readable report: each finding with its place, and how to acknowledge it. */
export function formatFindings(findings: readonly LintFinding[]): string {
  return findings
    .map((f) => {
      const where = `migrations/${f.migration}/migration.sql:${f.line}`;
      const state = f.acknowledged ? `acknowledged: ${f.acknowledged}` : f.destructive ? 'DATA LOSS' : 'unsafe';
      return `  ${where}  ${f.rule} (${state})\n    ${f.message}`;
    })
    .join('\n');
}

export const HOW_TO_ACKNOWLEDGE =
  'Make the change safe (see "Changing a live schema" in the README), or acknowledge it in the migration:\n' +
  '  -- acme:allow <rule> because <why this is safe here>';
