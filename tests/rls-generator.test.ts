/** zenstack/rls.sql is generated from the rules; what it cannot express stops generation, rule named. */
import { readFileSync } from 'node:fs';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { ExpressionUtils as E } from '@zenstackhq/schema';
import { describe, expect, it } from 'vitest';
import { UnsupportedRuleError } from '../src/errors/index.ts';
import { generateRlsSql } from '../src/rls/policies-sql.ts';
import { schema } from '../zenstack/schema.ts';

const rule = (kind: '@@allow' | '@@deny', ops: string, condition: unknown) => ({
  name: kind,
  args: [
    { name: 'operation', value: E.literal(ops) },
    { name: 'condition', value: condition },
  ],
});
function schemaWith(attributes: unknown[], fields: Record<string, object> = {}) {
  return {
    provider: { type: 'postgresql' },
    models: { Doc: { name: 'Doc', fields: { id: { name: 'id', type: 'String' }, ...fields }, attributes } },
  } as unknown as SchemaDef;
}
const authRole = E.member(E.call('auth'), ['role']);

describe('generateRlsSql', () => {
  it('matches the committed zenstack/rls.sql', () => {
    expect(generateRlsSql(schema)).toBe(readFileSync('zenstack/rls.sql', 'utf8'));
  });

  it('maps allow to PERMISSIVE, deny to RESTRICTIVE, post-update to WITH CHECK', () => {
    const sql = generateRlsSql(
      schemaWith([
        rule('@@allow', 'read,update', E.binary(authRole, '==', E.literal('ADMIN'))),
        rule('@@allow', 'post-update', E.binary(E.field('owner'), '==', E.member(E.call('auth'), ['id']))),
        rule('@@deny', 'delete', E.binary(E.field('locked'), '==', E.literal(true))),
      ]),
    );
    expect(sql).toContain(`"Doc_select_allow_1" ON "Doc" AS PERMISSIVE FOR SELECT TO PUBLIC USING (`);
    expect(sql).toMatch(
      /"Doc_update_allow_2" ON "Doc" AS PERMISSIVE FOR UPDATE TO PUBLIC USING \(.*'ADMIN'\)\) WITH CHECK \(\("Doc"\."owner" = /,
    );
    expect(sql).toContain(`AS RESTRICTIVE FOR DELETE TO PUBLIC USING (NOT COALESCE(("Doc"."locked" = true), false))`);
    expect(sql).toContain('ALTER TABLE "Doc" FORCE ROW LEVEL SECURITY;');
  });

  it.each([
    ['before()', E.binary(E.member(E.call('before'), ['x']), '==', E.literal(1))],
    ['check()', E.call('check', [E.field('x')])],
    ['a string function', E.call('contains', [E.field('x'), E.literal('a')])],
  ])('refuses %s with the rule named', (_, condition) => {
    const generate = () => generateRlsSql(schemaWith([rule('@@allow', 'read', condition)]));
    expect(generate).toThrow(UnsupportedRuleError);
    expect(generate).toThrow(/Doc @@allow\('read', \.\.\.\) \(rule 1\)/);
  });

  it('refuses field-level rules rather than dropping them', () => {
    const fields = { secret: { name: 'secret', type: 'String', attributes: [{ name: '@allow', args: [] }] } };
    expect(() => generateRlsSql(schemaWith([rule('@@allow', 'all', E.literal(true))], fields))).toThrow(
      /Doc\.secret @allow/,
    );
  });
});
