/**
 * A write the session alone refuses, through a bound client's cached model
 * accessors (src/zenstack-internals/model-delegates.ts: the plugins answer it
 * without ZenStack's operation handler), against the plain path
 * (`fastPaths: false`, ZenStack's own accessors): the same error, field by
 * field, no statement, the database unchanged and no audit row. Allowed
 * writes and reads through the cached accessors give what the plain path gives.
 */
import { ORMError } from '@zenstackhq/orm';
import Decimal from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, policyRejectionDetails } from '../src/index.ts';
import { openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { recordSentSql } from './support/sent-sql.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
let clinicId: string;
let treatmentId: string;
beforeAll(async () => {
  clinicId = (await raw.clinic.create({ data: { name: uid('Denied'), code: uid('DW') } })).id;
  treatmentId = (await raw.treatment.create({ data: { name: uid('Denied t'), price: new Decimal('12.50') } })).id;
});

// The statements the application's pg clients send (the database stays real).
const sent = recordSentSql((text) => text);

type Delegates = Record<string, Record<string, (args?: unknown) => Promise<unknown>>>;
const USER = { id: 'denied-user', role: 'USER' } as const;
const SUPPORT = { id: 'denied-support', role: 'SUPPORT' } as const;

/** Everything a caller can read off the outcome. */
function seen(outcome: { ok: boolean; value?: unknown; error?: unknown }) {
  if (outcome.ok) return { ok: true, value: outcome.value };
  const e = outcome.error as ORMError;
  const cause = e.cause as ORMError | undefined;
  return {
    ok: false,
    isORMError: e instanceof ORMError,
    name: e.name,
    reason: e.reason,
    rejectedByPolicyReason: e.rejectedByPolicyReason,
    model: e.model,
    message: e.message,
    details: policyRejectionDetails(e),
    cause: cause && {
      isORMError: cause instanceof ORMError,
      reason: cause.reason,
      model: cause.model,
      message: cause.message,
    },
  };
}

const settle = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );

const refusedWrites: [string, string, () => unknown][] = [
  ['clinic', 'create', () => ({ data: { name: 'x', code: uid('DWc') } })],
  ['clinic', 'createMany', () => ({ data: [{ name: 'x', code: uid('DWm') }] })],
  ['clinic', 'createManyAndReturn', () => ({ data: [{ name: 'x', code: uid('DWr') }] })],
  ['clinic', 'update', () => ({ where: { id: clinicId }, data: { name: 'x' } })],
  ['clinic', 'update', () => ({ where: { id: 'no-such-clinic' }, data: { name: 'x' } })],
  ['clinic', 'delete', () => ({ where: { id: clinicId } })],
  ['clinic', 'updateMany', () => ({ data: { name: 'x' } })],
  ['clinic', 'updateManyAndReturn', () => ({ data: { name: 'x' } })],
  ['clinic', 'deleteMany', () => ({})],
  ['treatment', 'update', () => ({ where: { id: treatmentId }, data: { name: 'x' } })],
  // Not folded (an upsert may create or update): ZenStack's own path on both clients, compared all the same.
  [
    'treatment',
    'upsert',
    () => ({ where: { id: 'denied-upsert' }, create: { name: 'x', price: new Decimal('1') }, update: { name: 'x' } }),
  ],
];

describe('a write the session alone refuses: cached accessors against the plain path', () => {
  for (const session of [USER, SUPPORT, null]) {
    for (const [model, operation, args] of refusedWrites) {
      it(`${session?.role ?? 'anonymous'} ${model}.${operation}(${JSON.stringify(args())})`, async () => {
        const before = await snapshot(raw);
        const fast = createDb(session) as unknown as Delegates;
        const plain = createDb(session, { fastPaths: false }) as unknown as Delegates;
        sent.length = 0;
        const ours = seen(await settle(fast[model]?.[operation]?.(args()) as Promise<unknown>));
        const folded = sent.length;
        const theirs = seen(await settle(plain[model]?.[operation]?.(args()) as Promise<unknown>));
        expect(ours).toEqual(theirs);
        if (operation !== 'upsert') expect(folded).toBe(0);
        if (!ours.ok) {
          expect(ours.isORMError).toBe(true);
          expect(ours.reason).toBe('rejected-by-policy');
          expect(ours.details).toMatchObject({ model: model === 'clinic' ? 'Clinic' : 'Treatment' });
        }
        expect(await snapshot(raw)).toEqual(before);
      });
    }
  }

  it('the refusal names the rule, the model, the session and the not-found behind it', async () => {
    const err = await (createDb(USER) as unknown as Delegates).clinic
      ?.update?.({
        where: { id: clinicId },
        data: { name: 'x' },
      })
      .catch((e: unknown) => e);
    expect(seen({ ok: false, error: err })).toEqual({
      ok: false,
      isORMError: true,
      name: 'Error', // ZenStack's ORMError keeps Error's name
      reason: 'rejected-by-policy',
      rejectedByPolicyReason: 'no-access',
      model: 'Clinic',
      message: "Clinic update needs auth().role == 'ADMIN'; the session's role is USER",
      details: {
        model: 'Clinic',
        operation: 'update',
        rules: [{ kind: 'allow', text: "auth().role == 'ADMIN'", value: false }],
        session: { anonymous: false, role: 'USER', id: 'denied-user', memberships: 0 },
        original: 'No access to update Clinic',
      },
      cause: { isORMError: true, reason: 'not-found', model: 'Clinic', message: 'Clinic not found' },
    });
  });

  it('the same bound client refuses the same way on every call, and a caller’s later change of args is seen', async () => {
    const db = createDb(USER) as unknown as Delegates;
    const first = seen(await settle(db.clinic?.update?.({ where: { id: clinicId }, data: { name: 'x' } }) as never));
    for (let i = 0; i < 50; i++) {
      expect(
        seen(await settle(db.clinic?.update?.({ where: { id: clinicId }, data: { name: `x${i}` } }) as never)),
      ).toEqual(first);
    }
    // Args changed between the call and its await: judged as run (a relation write is not folded).
    const args: { where: unknown; data: Record<string, unknown> } = { where: { id: clinicId }, data: { name: 'x' } };
    const pending = db.clinic?.update?.(args) as Promise<unknown>;
    args.data = { name: 'x', treatmentsByClinic: { deleteMany: {} } };
    const plain = createDb(USER, { fastPaths: false }) as unknown as Delegates;
    expect(seen(await settle(pending))).toEqual(seen(await settle(plain.clinic?.update?.(args) as never)));
  });
});

describe('allowed work through cached accessors', () => {
  it('one bound ADMIN client, many models and calls: the same results and state as the plain path', async () => {
    const fast = createDb({ id: 'denied-admin', role: 'ADMIN' }) as unknown as Delegates;
    const plain = createDb({ id: 'denied-admin', role: 'ADMIN' }, { fastPaths: false }) as unknown as Delegates;
    expect(fast.clinic).toBe(fast.clinic);
    const run = async (db: Delegates, tag: string) => {
      const out: unknown[] = [];
      const c = (await db.clinic?.create?.({ data: { name: `${tag} A`, code: uid(tag) } })) as { id: string };
      const t = (await db.treatment?.create?.({ data: { name: `${tag} T`, price: new Decimal('3.25') } })) as {
        id: string;
      };
      for (let i = 0; i < 5; i++) {
        out.push(
          await db.clinic?.update?.({ where: { id: c.id }, data: { name: `${tag} A${i}` }, select: { name: true } }),
        );
        out.push(await db.treatment?.findUnique?.({ where: { id: t.id }, select: { name: true, price: true } }));
        out.push(await db.clinic?.count?.({ where: { name: { startsWith: tag } } }));
      }
      out.push(
        await db.treatmentsByClinic
          ?.create?.({ data: { clinicId: c.id, treatmentId: t.id }, select: { clinicId: true } })
          .then(() => 'linked'),
      );
      out.push(
        await db.clinic?.findMany?.({
          where: { id: c.id },
          select: { name: true, _count: { select: { treatmentsByClinic: true } } },
        }),
      );
      out.push(await db.treatmentsByClinic?.deleteMany?.({ where: { clinicId: c.id } }));
      out.push(await db.clinic?.delete?.({ where: { id: c.id }, select: { name: true } }));
      const audit = await raw.auditLog.findMany({ where: { recordId: { in: [c.id, t.id] } }, orderBy: { id: 'asc' } });
      return {
        out: JSON.parse(JSON.stringify(out).replaceAll(tag, 'TAG')),
        audit: audit.map((a) => [a.model, a.action]),
      };
    };
    const ours = await run(fast, uid('fastw'));
    const theirs = await run(plain, uid('plainw'));
    expect(ours).toEqual(theirs);
    expect(ours.audit.length).toBeGreaterThan(5);
  });

  it('a USER’s reads through cached accessors equal the plain path’s', async () => {
    const fast = createDb(USER) as unknown as Delegates;
    const plain = createDb(USER, { fastPaths: false }) as unknown as Delegates;
    for (const [model, args] of [
      ['clinic', { where: { id: clinicId }, select: { id: true, name: true } }],
      ['treatment', { where: { id: treatmentId } }],
    ] as const) {
      for (let i = 0; i < 3; i++) {
        expect(await fast[model]?.findUnique?.(args)).toEqual(await plain[model]?.findUnique?.(args));
      }
    }
    expect(await fast.patient?.findMany?.({})).toEqual(await plain.patient?.findMany?.({}));
  });
});
