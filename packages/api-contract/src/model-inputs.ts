/**
 * API inputs derived from the models: `@zenstackhq/zod` builds each model's
 * writable fields with their types, optionality and enums, and every text
 * field gets its `@length` / `@email` / `@regex` limits from the zmodel
 * (`ZodUtils.addStringValidation`), after the API's own text rules: trimmed,
 * no NUL, no bidirectional controls, no lone surrogates. A field added to a model is in the API's create/update input with
 * its limits, without a second edit; fields the server manages are omitted
 * where the input is declared (inputs.ts).
 */
import { schema } from '@acme/db/zenstack/schema.ts';
import { createSchemaFactory, ZodUtils } from '@zenstackhq/zod';
import { z } from 'zod';

export const modelSchemas = createSchemaFactory(schema);

export const NUL_MESSAGE = 'must not contain NUL characters (\\u0000): PostgreSQL text cannot store them';
export const BIDI_MESSAGE =
  'must not contain bidirectional control characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)';
export const SURROGATE_MESSAGE = 'must be well-formed Unicode (a lone surrogate half cannot be stored)';

/**
 * The invisible characters that reorder text on screen: a name with a
 * right-to-left override displays as something else than it is (Trojan
 * Source, CVE-2021-42574), in our lists, logs and audit entries.
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/**
 * The base of every string the API accepts: trimmed, free of NUL (PostgreSQL
 * rejects it in text) and of bidirectional controls, and well-formed UTF-16
 * (a lone surrogate would be stored as U+FFFD, silently changing the value).
 */
export const cleanText = () =>
  z
    .string()
    .trim()
    .refine((v) => !v.includes('\u0000'), NUL_MESSAGE)
    .refine((v) => !BIDI_CONTROLS.test(v), BIDI_MESSAGE)
    .refine((v) => v.isWellFormed(), SURROGATE_MESSAGE);

/** A row id or foreign key: clean text of 1–64 characters (cuid() ids are 25). */
export const id = cleanText().min(1).max(64);

type ModelName = keyof typeof schema.models;
interface FieldDef {
  type: string;
  optional?: boolean;
  array?: boolean;
  default?: unknown;
  updatedAt?: boolean;
  foreignKeyFor?: readonly string[];
  attributes?: Parameters<typeof ZodUtils.addStringValidation>[1];
}

function textField(def: FieldDef): z.ZodType {
  const one = def.foreignKeyFor ? id : ZodUtils.addStringValidation(cleanText(), def.attributes);
  const many = def.array ? z.array(one) : one;
  if (def.optional) return many.nullish();
  return def.default !== undefined ? many.optional() : many;
}

/**
 * The model's object schema with every String field replaced by the API's
 * text rules plus the model's own limits. Types are unchanged (string in,
 * string out), so the factory's precise types stay; a model-level
 * `@@validate` would make `extend` throw at start-up rather than be dropped.
 */
export function withApiText<T extends z.ZodObject>(model: ModelName, object: T): T {
  const fields = schema.models[model].fields as unknown as Record<string, FieldDef>;
  const text = Object.keys(object.shape).flatMap((name) => {
    const def = fields[name];
    return def?.type === 'String' ? [[name, textField(def)] as const] : [];
  });
  return object.extend(Object.fromEntries(text)) as unknown as T;
}
