/**
 * Policy matchers in the style of @zenstackhq/testtools: assert the kind of
 * failure (ORMError reason), not a message string.
 */
import { ORMError } from '@zenstackhq/orm';
import { expect } from 'vitest';

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function settle(received: unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await (received as Promise<unknown>) };
  } catch (error) {
    return { ok: false, error };
  }
}

function describe(outcome: Outcome): string {
  if (outcome.ok) return `resolved with ${JSON.stringify(outcome.value)}`;
  const e = outcome.error;
  return e instanceof ORMError
    ? `ORMError(${e.reason}${e.rejectedByPolicyReason ? `/${e.rejectedByPolicyReason}` : ''}): ${e.message}`
    : `threw ${String(e)}`;
}

function rejectsWith(reason: string, sub?: string) {
  return async (received: unknown) => {
    const outcome = await settle(received);
    const pass =
      !outcome.ok &&
      outcome.error instanceof ORMError &&
      outcome.error.reason === reason &&
      (sub === undefined || outcome.error.rejectedByPolicyReason === sub);
    return { pass, message: () => `expected ORMError(${reason}${sub ? `/${sub}` : ''}), but it ${describe(outcome)}` };
  };
}

expect.extend({
  toBeRejectedByPolicy: rejectsWith('rejected-by-policy'),
  toBeRejectedNotFound: rejectsWith('not-found'),
  toBeRejectedInvalidInput: rejectsWith('invalid-input'),
  toBeRejectedByDb: rejectsWith('db-query-error'),
  async toResolveNull(received: unknown) {
    const outcome = await settle(received);
    return { pass: outcome.ok && outcome.value === null, message: () => `expected null, but it ${describe(outcome)}` };
  },
  async toResolveTruthy(received: unknown) {
    const outcome = await settle(received);
    return { pass: outcome.ok && !!outcome.value, message: () => `expected a value, but it ${describe(outcome)}` };
  },
});

interface PolicyMatchers<R = unknown> {
  toBeRejectedByPolicy(): Promise<R>;
  toBeRejectedNotFound(): Promise<R>;
  toBeRejectedInvalidInput(): Promise<R>;
  toBeRejectedByDb(): Promise<R>;
  toResolveNull(): Promise<R>;
  toResolveTruthy(): Promise<R>;
}

declare module 'vitest' {
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> extends PolicyMatchers<T> {}
}
