/** The API's create inputs are the models' writable fields, with the zmodel's own text limits and no NUL. */
import { schema } from '@acme/db/zenstack/schema.ts';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { clinicCreate, linkCreate, membershipCreate, patientCreate, treatmentCreate } from '../src/inputs.ts';

type Attr = { name: string; args?: { name?: string; value: { kind: string; value?: unknown } }[] };
type Field = { type: string; relation?: unknown; id?: boolean; updatedAt?: boolean; attributes?: Attr[] };

const INPUTS: [keyof typeof schema.models, z.ZodObject][] = [
  ['Clinic', clinicCreate],
  ['Treatment', treatmentCreate],
  ['TreatmentsByClinic', linkCreate],
  ['Patient', patientCreate],
  ['ClinicMembership', membershipCreate],
];
/** What a client never sets: ids, timestamps, the soft-delete mark. */
const SERVER_MANAGED = ['id', 'createdAt', 'updatedAt', 'deletedAt'];

const fieldsOf = (model: keyof typeof schema.models) =>
  Object.values(schema.models[model].fields as unknown as Record<string, Field & { name: string }>);
const lengthMax = (f: Field) =>
  f.attributes?.find((a) => a.name === '@length')?.args?.find((a) => a.name === 'max')?.value.value as
    | number
    | undefined;

/** A valid value for each field the inputs require, so one field at a time can be made invalid. */
const VALID: Record<string, unknown> = {
  name: 'N',
  code: 'C',
  price: '1.00',
  clinicId: 'c1',
  treatmentId: 't1',
  email: 'a@example.com',
  userId: 'u1',
};

describe.each(INPUTS)('%s create input', (model, input) => {
  const fields = fieldsOf(model);
  const valid = Object.fromEntries(Object.keys(input.shape).flatMap((k) => (k in VALID ? [[k, VALID[k]]] : [])));

  it('has every scalar field of the model except the server-managed ones', () => {
    const scalar = fields.filter((f) => !f.relation && !SERVER_MANAGED.includes(f.name)).map((f) => f.name);
    expect(Object.keys(input.shape).sort()).toEqual(scalar.sort());
    expect(input.safeParse(valid).success).toBe(true);
  });

  it.each(fields.filter((f) => f.type === 'String' && Object.hasOwn(input.shape, f.name)).map((f) => [f.name, f]))(
    '%s: refuses NUL, bidirectional controls, lone surrogates, and text over its zmodel @length',
    (name, field) => {
      const nul = input.safeParse({ ...valid, [name]: 'a\u0000b' });
      expect(nul.error?.issues.map((i) => [i.path.join('.'), /NUL/.test(i.message)])).toContainEqual([name, true]);
      const max = lengthMax(field as Field);
      const refused = (value: string, message: RegExp) =>
        input
          .safeParse({ ...valid, [name]: value })
          .error?.issues.some((i) => i.path.join('.') === name && message.test(i.message)) ?? false;
      // Right-to-left override, the other embeddings/isolates, the marks: each refused with a field message.
      for (const bidi of ['\u202E', '\u202A', '\u2066', '\u2069', '\u200E', '\u200F', '\u061C']) {
        expect(refused(`ab${bidi}c`, /bidirectional control/), `${name} U+${bidi.codePointAt(0)?.toString(16)}`).toBe(
          true,
        );
      }
      expect(refused('a\uD800b', /well-formed Unicode/)).toBe(true); // a lone high surrogate
      expect(refused('a\uDC00', /well-formed Unicode/)).toBe(true); // a lone low one
      expect(refused(`${VALID[name] ?? 'a'}`, /bidirectional|well-formed/)).toBe(false);
      if (max !== undefined && !(field as Field & { foreignKeyFor?: unknown }).foreignKeyFor) {
        const base = name === 'email' ? '@example.com' : '';
        const over = input.safeParse({ ...valid, [name]: 'a'.repeat(max + 1 - base.length) + base });
        expect(over.error?.issues.map((i) => i.path.join('.'))).toContain(name);
        const at = input.safeParse({ ...valid, [name]: 'a'.repeat(max - base.length) + base });
        expect(at.error?.issues.map((i) => i.path.join('.')) ?? []).not.toContain(name);
      }
    },
  );
});
