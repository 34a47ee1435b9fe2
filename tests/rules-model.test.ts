/**
 * The one rules model (src/rules): each rule with its tree, text and SQL, and
 * the one evaluator in its two readings. `decide` must agree with PostgreSQL
 * exactly wherever it decides (the fast paths skip SQL on it); `fold` must
 * never deny what the SQL would grant (policy folding answers on it).
 */
import { readFileSync } from 'node:fs';
import { parseSessionUser } from '@acme/auth';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { ExpressionUtils as E, type Expression } from '@zenstackhq/schema';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedRuleError } from '../src/errors/index.ts';
import { AUTH_SQL, quoteIdent, quoteLiteral } from '../src/rls/expression-sql.ts';
import { authJson } from '../src/rls/session-context.ts';
import { decide, fieldRules, fold, modelRules, rulesFor, UNKNOWN } from '../src/rules/index.ts';
import { schema } from '../zenstack/schema.ts';
import { arrangeLinked, openUnrestrictedDb, uid } from './support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const auth = E.call('auth');
const role = E.member(auth, ['role']);
const memberships = E.member(auth, ['memberships']);
const isAdmin = E.binary(role, '==', E.literal('ADMIN'));
const ofClinic = E.binary(memberships, '?', E.binary(E.field('clinicId'), '==', E.member(E._this(), ['clinicId'])));

describe('the evaluator: decide (as SQL) and fold (as JavaScript)', () => {
  const ADMIN = { id: 'a', role: 'ADMIN', memberships: [] };
  const MEMBER = { id: 'm', role: 'USER', memberships: [{ clinicId: 'c', role: 'STAFF' }] };
  const NO_ROLE = { id: 'x' };
  it.each<[string, Expression, unknown, unknown, unknown]>([
    // [what, condition, auth, decide, fold]
    ['auth() != null, anonymous', E.binary(auth, '!=', E._null()), null, false, false],
    ['auth() != null, signed in', E.binary(auth, '!=', E._null()), NO_ROLE, true, true],
    ['role == ADMIN, ADMIN', isAdmin, ADMIN, true, true],
    ['role == ADMIN, USER', isAdmin, MEMBER, false, false],
    ['role == ADMIN, no role: NULL = text is NULL', isAdmin, NO_ROLE, UNKNOWN, false],
    ['role != ADMIN, no role: NULL <> text is NULL', E.binary(role, '!=', E.literal('ADMIN')), NO_ROLE, UNKNOWN, true],
    ['role == null, no role: IS NULL', E.binary(role, '==', E._null()), NO_ROLE, true, true],
    ['a field needs the row', E.binary(E.field('clinicId'), '==', E.literal('c')), ADMIN, UNKNOWN, UNKNOWN],
    ['memberships?[...] over []', ofClinic, ADMIN, false, false],
    ['memberships^[...] over []', E.binary(memberships, '^', E.literal(true)), ADMIN, true, true],
    ['memberships?[...] over a list: the row decides', ofClinic, MEMBER, UNKNOWN, UNKNOWN],
    ['memberships?[...] with no list: sql undecided, fold empty', ofClinic, NO_ROLE, UNKNOWN, false],
    ['false && row: false', E.binary(E.literal(false), '&&', E.field('x')), ADMIN, false, false],
    ['true || row: true', E.binary(isAdmin, '||', E.field('x')), ADMIN, true, true],
    ['USER-only || row: the row', E.binary(isAdmin, '||', E.field('x')), MEMBER, UNKNOWN, UNKNOWN],
    ['! of a decided rule', E.unary('!', isAdmin), MEMBER, true, true],
    ['! of the row', E.unary('!', E.field('x')), MEMBER, UNKNOWN, UNKNOWN],
    [
      'in over a literal list',
      E.binary(role, 'in', E.array('String', [E.literal('ADMIN'), E.literal('SUPPORT')])),
      ADMIN,
      true,
      true,
    ],
    ['in with no role', E.binary(role, 'in', E.array('String', [E.literal('ADMIN')])), NO_ROLE, UNKNOWN, false],
    ['a non-boolean condition', E.member(auth, ['flag']), ADMIN, UNKNOWN, null],
    ['an ordering comparison', E.binary(E.member(auth, ['id']), '<', E.literal('b')), ADMIN, UNKNOWN, UNKNOWN],
    ['another function', E.binary(E.call('now'), '==', E._null()), ADMIN, UNKNOWN, UNKNOWN],
  ])('%s', (_, expr, session, decided, folded) => {
    expect(decide(expr, session)).toBe(decided);
    expect(fold(expr, session)).toBe(folded);
  });
});

describe('a Rule carries its tree, text and SQL', () => {
  it('reads the generated schema: operations expanded, text as written, SQL as in rls.sql', () => {
    const rules = modelRules(schema, 'Clinic');
    expect(rules.map((r) => [r.index, r.kind, r.written, r.operations, r.text])).toEqual([
      [0, 'allow', ['read'], ['read'], "@@allow('read', auth() != null)"],
      [
        1,
        'allow',
        ['create', 'update', 'delete'],
        ['create', 'update', 'delete'],
        "@@allow('create,update,delete', auth().role == 'ADMIN')",
      ],
    ]);
    expect(rules[1]?.condition).toBe("auth().role == 'ADMIN'");
    expect(rules[1]?.label).toBe("Clinic @@allow('create,update,delete', ...) (rule 2)");
    const rls = readFileSync('zenstack/rls.sql', 'utf8');
    for (const model of Object.keys(schema.models)) {
      for (const rule of modelRules(schema, model)) expect(rls).toContain(rule.sql);
    }
    expect(modelRules(schema, 'Clinic')).toBe(rules); // read once per schema and model
  });

  it('`all` covers every operation but post-update', () => {
    const patient = rulesFor(schema, 'Patient', 'post-update').map((r) => r.text);
    expect(patient.some((t) => t.startsWith("@@allow('all'"))).toBe(false);
    expect(rulesFor(schema, 'Patient', 'delete').map((r) => r.text)).toEqual([
      "@@allow('all', auth().role == 'ADMIN')",
    ]);
  });

  it('translates to SQL only when asked, and names the rule it cannot translate', () => {
    const foreign = {
      provider: { type: 'postgresql' },
      models: {
        Doc: {
          name: 'Doc',
          fields: {
            id: { name: 'id', type: 'String' },
            body: {
              name: 'body',
              type: 'String',
              attributes: [{ name: '@allow', args: [{ value: E.literal('read') }, { value: E.call('check') }] }],
            },
          },
          attributes: [
            { name: '@@allow', args: [{ value: E.literal('read') }, { value: isAdmin }] },
            { name: '@@deny', args: [{ value: E.literal('update') }, { value: E.call('before') }] },
          ],
        },
      },
    } as unknown as SchemaDef;
    const [ok, bad] = modelRules(foreign, 'Doc');
    expect(decide(bad?.expr as Expression, { id: 'a', role: 'ADMIN' })).toBe(UNKNOWN); // the evaluator needs no SQL
    expect(ok?.sql).toContain("->> 'role') = 'ADMIN')");
    expect(() => bad?.sql).toThrow(UnsupportedRuleError);
    expect(() => bad?.sql).toThrow("Doc @@deny('update', ...) (rule 2): function before() has no database form");
    expect(fieldRules(foreign, 'Doc').map((r) => [r.field, r.text])).toEqual([['body', "@allow('read', check())"]]);
  });
});

describe('against PostgreSQL: every rule of the schema, for real sessions and rows', () => {
  const raw = openUnrestrictedDb();
  afterAll(() => raw.$disconnect());
  let t: Tenancy;
  beforeAll(async () => {
    t = await arrangeTenancy(raw);
    await arrangeLinked(raw);
    await raw.patient.create({
      data: { name: 'gone', email: `${uid('d')}@x.io`, clinicId: t.clinicA.id, deletedAt: new Date() },
    });
  });

  /** Each rule's value per row, as the policies compute it with this session in `acme.auth`. */
  async function sqlValues(model: string, session: unknown): Promise<(boolean | null)[][]> {
    const json = authJson(session);
    const value = json === '' ? 'NULL::jsonb' : `(${quoteLiteral(json)}::jsonb)`;
    const rules = modelRules(schema, model);
    const columns = rules.map((r) => `(${r.sql.split(AUTH_SQL).join(value)}) AS ${quoteIdent(`r${r.index}`)}`);
    const { rows } = await sql
      .raw<Record<string, boolean | null>>(`SELECT ${columns.join(', ')} FROM ${quoteIdent(model)}`)
      .execute(raw.$qb);
    return rows.map((row) => rules.map((r) => row[`r${r.index}`] ?? null));
  }

  it('decide is exact where it decides; fold never denies what the SQL grants', async () => {
    let decided = 0;
    let undecided = 0;
    for (const [name, input] of Object.entries(t.sessions)) {
      const session = input === null ? null : parseSessionUser(input);
      for (const model of Object.keys(schema.models)) {
        const rows = await sqlValues(model, session);
        for (const rule of modelRules(schema, model)) {
          const where = `${name}: ${rule.label}`;
          const values = rows.map((r) => r[rule.index]);
          const d = decide(rule.expr, session);
          if (d === UNKNOWN) undecided += 1;
          else {
            decided += 1;
            expect(
              values.every((v) => v === d),
              where,
            ).toBe(true);
          }
          const f = fold(rule.expr, session);
          // A folded denial: an allow read as false grants no row, a deny read as true lets none through.
          if (rule.kind === 'allow' && f === false) expect(values.includes(true), where).toBe(false);
          if (rule.kind === 'deny' && f === true) expect(values.includes(false), where).toBe(false);
        }
        expect(rows.length, `${model} has rows to judge`).toBeGreaterThan(model === 'AuditLog' ? -1 : 0);
      }
    }
    expect(decided).toBeGreaterThan(20);
    expect(undecided).toBeGreaterThan(5);
  });
});
