import { type CompiledQuery, RawNode, SelectQueryNode } from 'kysely';

/**
 * What a SQL statement does, read from the text that is actually sent (after
 * every plugin rewrote it), so that routing never trusts a query builder's
 * idea of a "read". A statement is a `read` only when it starts like a query
 * and no word of it (outside literals, quoted names and comments) can write:
 * a data-modifying CTE (`WITH x AS (DELETE …) SELECT …`), `SELECT … INTO`, row
 * locks (`FOR UPDATE/SHARE`), sequence and advisory-lock functions. Anything
 * else is a `write`. A wrong `write` costs a primary round trip; a wrong
 * `read` is caught by the replica's read-only transaction and re-run on the
 * primary (src/driver/connection.ts), so neither loses or misplaces a write.
 */
export type StatementKind = 'read' | 'write' | 'begin' | 'end';

const READ_START = new Set(['select', 'with', 'values', 'table', 'show', 'explain']);
const BEGIN = new Set(['begin', 'start']);
const END = new Set(['commit', 'end', 'rollback', 'abort']);
const WRITES = new Set([
  'insert',
  'update',
  'delete',
  'merge',
  'into',
  'share', // FOR SHARE / FOR KEY SHARE (FOR [NO KEY] UPDATE is caught by "update")
  'nextval',
  'setval',
  'notify',
  'pg_notify',
  'txid_current',
  'pg_current_xact_id',
]);

const cache = new Map<string, StatementKind>();
const CACHE_MAX = 2_000;

export function statementKind(sql: string): StatementKind {
  let kind = cache.get(sql);
  if (kind === undefined) {
    kind = classify(sql);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(sql, kind);
  }
  return kind;
}

function classify(sql: string): StatementKind {
  let first: string | undefined;
  for (const word of words(sql)) {
    if (first === undefined) {
      first = word;
      if (BEGIN.has(word)) return 'begin';
      if (END.has(word)) return 'end';
      if (!READ_START.has(word)) return 'write';
    } else if (WRITES.has(word) || word.startsWith('pg_advisory')) {
      return 'write';
    }
  }
  return first === undefined ? 'write' : 'read';
}

const WORD_START = /[A-Za-z_]/;
const WORD_PART = /[A-Za-z0-9_$]/;

/** The bare words of `sql`, lower-cased, skipping comments, string literals and quoted identifiers. */
function* words(sql: string): Generator<string> {
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === "'") {
      i = skipQuoted(sql, i, "'", false);
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
    } else if (c === '$') {
      i = skipDollar(sql, i);
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && WORD_PART.test(sql[j] as string)) j++;
      const word = sql.slice(i, j).toLowerCase();
      // E'…' is an escape string: backslashes escape quotes inside it.
      if ((word === 'e' || word === 'x' || word === 'b') && sql[j] === "'") {
        i = skipQuoted(sql, j, "'", word === 'e');
      } else {
        yield word;
        i = j;
      }
    } else {
      i++;
    }
  }
}

function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return i;
}

function skipQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') i += 2;
    else if (c === quote && sql[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return i;
}

/** `$1` is a parameter; `$tag$ … $tag$` (tag possibly empty) a dollar-quoted string. */
function skipDollar(sql: string, start: number): number {
  const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(start, start + 64));
  if (!tag) return start + 1;
  const end = sql.indexOf(tag[0], start + tag[0].length);
  return end < 0 ? sql.length : end + tag[0].length;
}

const LOCKS = new Set(['ForUpdate', 'ForNoKeyUpdate', 'ForShare', 'ForKeyShare']);

/**
 * The kind of a compiled statement: from its query node where Kysely built
 * one (a SELECT that locks rows or carries a data-modifying CTE writes), from
 * its text only for raw SQL (a query-cache hit, `$queryRaw`, `sql```).
 */
export function kindOf(query: CompiledQuery): StatementKind {
  const node = query.query;
  if (!node || RawNode.is(node)) return statementKind(query.sql);
  if (!SelectQueryNode.is(node)) return 'write';
  if (node.endModifiers?.some((m) => m.modifier !== undefined && LOCKS.has(m.modifier))) return 'write';
  if (node.endModifiers?.some((m) => m.rawModifier !== undefined)) return statementKind(query.sql);
  const ctes = node.with?.expressions ?? [];
  if (ctes.some((cte) => !SelectQueryNode.is(cte.expression))) return statementKind(query.sql);
  return 'read';
}
