import type { TRPCDefaultErrorShape as DefaultErrorShape } from '@trpc/server';
import { z } from 'zod';

/** Validation problems by field (dotted path, e.g. `data.name`); `formErrors` are about the input as a whole. */
export interface FieldErrors {
  formErrors: string[];
  fieldErrors: Record<string, string[]>;
}

/** zod's flattened form, with nested paths joined by dots so `{ id, data: { name } }` reports `data.name`. */
export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const result: FieldErrors = { formErrors: [], fieldErrors: {} };
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.');
    if (key) result.fieldErrors[key] = [...(result.fieldErrors[key] ?? []), issue.message];
    else result.formErrors.push(issue.message);
  }
  return result;
}

/** One short sentence for people; clients read `data.fieldErrors`. */
function summary({ formErrors, fieldErrors }: FieldErrors): string {
  const lines = [...formErrors, ...Object.entries(fieldErrors).map(([field, [first]]) => `${field}: ${first}`)];
  const more = lines.length > 3 ? ` (and ${lines.length - 3} more)` : '';
  return `Invalid input: ${lines.slice(0, 3).join('; ')}${more}`;
}

/**
 * tRPC's `errorFormatter`: an input that fails validation answers
 * `message: "Invalid input: name: …"` and `data.fieldErrors`, instead of
 * zod's issue list serialised into the message. Other errors get
 * `data.fieldErrors: null`.
 */
export function formatError({ shape, error }: { shape: DefaultErrorShape; error: { cause?: unknown } }) {
  if (!(error.cause instanceof z.ZodError)) return { ...shape, data: { ...shape.data, fieldErrors: null } };
  const errors = fieldErrorsOf(error.cause);
  return { ...shape, message: summary(errors), data: { ...shape.data, ...errors } };
}
