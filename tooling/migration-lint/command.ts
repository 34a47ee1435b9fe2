import { committedMigrations } from '../migrate/baseline.ts';
import { MIGRATIONS_DIR } from '../tool-env.ts';
import { blocking, formatFindings, HOW_TO_ACKNOWLEDGE, lintMigrations } from './lint.ts';

/**
 * `pnpm db:migrate:lint` (CI): every committed migration, strictly. Needs no
 * database. Exit 1 when a finding is neither made safe nor acknowledged.
 */
export async function lintCommittedMigrations(): Promise<number> {
  const migrations = committedMigrations();
  const findings = await lintMigrations(MIGRATIONS_DIR, migrations);
  const stops = blocking(findings, 'strict');
  // One line per migration and rule: the reason is the same for each statement.
  const acknowledged = new Map<string, { count: number; reason: string }>();
  for (const f of findings.filter((x) => x.acknowledged)) {
    const key = `migrations/${f.migration}: ${f.rule}`;
    const seen = acknowledged.get(key);
    acknowledged.set(key, { count: (seen?.count ?? 0) + 1, reason: f.acknowledged as string });
  }
  for (const [key, { count, reason }] of acknowledged) console.log(`Acknowledged ${key} (x${count}): ${reason}`);
  if (stops.length > 0) {
    console.error(`Unsafe migrations:\n${formatFindings(stops)}\n${HOW_TO_ACKNOWLEDGE}`);
    return 1;
  }
  console.log(
    `[db:migrate:lint] ${migrations.length} migrations checked with squawk: nothing locks or breaks a live table unacknowledged.`,
  );
  return 0;
}
