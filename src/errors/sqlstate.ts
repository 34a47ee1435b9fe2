/**
 * The one table of PostgreSQL error codes (SQLSTATEs) this package gives a
 * meaning to: what kind of failure each is, and a message safe to show a
 * client (no values, no SQL). `isRetriable`, the row-level-security refusal
 * and the API's error codes all read it; a code not listed is `unknown`.
 */

/**
 * - `conflict`: the write clashes with existing rows (unique, foreign key).
 * - `invalid-value`: a value the column cannot hold (range, format, CHECK, NUL).
 * - `forbidden`: refused by privilege (row-level security, the append-only audit log).
 * - `transient`: nothing changed; the same operation may succeed when tried again.
 */
export type DbErrorKind = 'conflict' | 'invalid-value' | 'forbidden' | 'transient';

export interface SqlStateInfo {
  /** The condition name in PostgreSQL's errcodes table, for logs. */
  readonly condition: string;
  readonly kind: DbErrorKind;
  /** For a client; `model` is the ORM model the statement was for, when known. */
  readonly message: (model: string) => string;
}

const conflict = (condition: string, message: SqlStateInfo['message']): SqlStateInfo => ({
  condition,
  kind: 'conflict',
  message,
});
const invalid = (condition: string): SqlStateInfo => ({
  condition,
  kind: 'invalid-value',
  message: () => 'Invalid value',
});
const transient = (condition: string): SqlStateInfo => ({
  condition,
  kind: 'transient',
  message: () => 'Temporarily unavailable, try again',
});
const stillReferenced = (model: string) => `${model} references a missing row, or is still referenced`;

export const SQLSTATES = {
  '23505': conflict('unique_violation', (model) => `${model} already exists (unique constraint)`),
  '23503': conflict('foreign_key_violation', stillReferenced), // a missing parent, or rows still reference it
  '23001': conflict('restrict_violation', stillReferenced), // ON DELETE RESTRICT with rows still referencing it
  '23514': invalid('check_violation'),
  '22003': invalid('numeric_value_out_of_range'),
  '22P02': invalid('invalid_text_representation'),
  '22001': invalid('string_data_right_truncation'),
  '22021': invalid('character_not_in_repertoire'), // e.g. a NUL byte in text
  '42501': { condition: 'insufficient_privilege', kind: 'forbidden', message: () => 'Not allowed' },
  '40001': transient('serialization_failure'),
  '40P01': transient('deadlock_detected'),
  '57P01': transient('admin_shutdown'),
  '57P02': transient('crash_shutdown'),
  '57P03': transient('cannot_connect_now'),
  '53300': transient('too_many_connections'),
} as const satisfies Record<string, SqlStateInfo>;

export type KnownSqlState = keyof typeof SQLSTATES;

/** Whole SQLSTATE classes (the first two characters) with one meaning. */
const SQLSTATE_CLASSES: Record<string, SqlStateInfo> = {
  '08': transient('connection_exception'),
};

/** What a SQLSTATE means here, or undefined for one this package does not interpret. */
export function sqlStateInfo(code: unknown): SqlStateInfo | undefined {
  if (typeof code !== 'string') return undefined;
  return (SQLSTATES as Record<string, SqlStateInfo>)[code] ?? SQLSTATE_CLASSES[code.slice(0, 2)];
}
