import type { SessionInput } from '@acme/auth';

type ModelName = Parameters<typeof explain>[1];

import { explain, type PolicyOperation } from '@acme/db';
import { schema } from '../zenstack/schema.ts';
import { attempt, type Db, type Operation, type Outcome } from './policy-probe.ts';
import type { ScriptSystemClient } from './system-client.ts';

export interface GenericProbe {
  attempt(session: SessionInput | null, operation: Operation): Promise<Outcome>;
  expected(session: SessionInput | null, operation: Operation): Promise<Outcome>;
}

type Field = {
  name: string;
  type: string;
  id?: boolean;
  relation?: unknown;
  foreignKeyFor?: unknown;
  default?: unknown;
  updatedAt?: unknown;
  computed?: boolean;
};
// biome-ignore lint/suspicious/noExplicitAny: delegates picked by model name
const delegate = (db: unknown, model: string): any => (db as any)[model.charAt(0).toLowerCase() + model.slice(1)];

/**
 * The probe of a model the policy probe has no hand-written probe for (a model added since): its newest row
 * is read, updated (a field set to the value it has, so the rules judge the same row), deleted and copied,
 * each as the session in a rolled-back transaction, and compared with what explain() says of that row
 * (explain agrees with enforcement: tests/explain/explain-agrees-with-enforcement.test.ts). A model without
 * rows yet has nothing to probe: its cells are `n/a`.
 */
export async function genericProbe(sys: ScriptSystemClient, model: string): Promise<GenericProbe> {
  const def = schema.models[model as ModelName];
  const fields = Object.values(def.fields) as Field[];
  const idField = def.idFields.length === 1 ? (def.idFields[0] as string) : undefined;
  const row: Record<string, unknown> | null = idField
    ? await delegate(sys, model).findFirst({ orderBy: { [idField]: 'desc' } })
    : null;
  const plain = fields.filter((f) => !f.relation && !f.computed);
  const same = plain.find((f) => !f.id && !f.foreignKeyFor && f.default === undefined && !f.updatedAt);
  const where = row && idField ? { [idField]: row[idField] } : undefined;
  const changes = row && same ? { [same.name]: row[same.name] } : {};
  const copy = row
    ? Object.fromEntries(
        plain.filter((f) => !f.id && !f.updatedAt && f.default === undefined).map((f) => [f.name, row[f.name]]),
      )
    : undefined;

  const ops: Record<Operation, ((db: Db) => Promise<unknown>) | undefined> = {
    read: where && ((db) => delegate(db, model).findUnique({ where })),
    update: where && same && ((db) => delegate(db, model).update({ where, data: changes })),
    delete: where && ((db) => delegate(db, model).delete({ where })),
    create: copy && ((db) => delegate(db, model).create({ data: copy })),
  };
  const verdicts = new Map<SessionInput | null, Record<string, boolean> | undefined>();
  const verdictsOf = async (session: SessionInput | null) => {
    if (!verdicts.has(session)) {
      const [explained] = where ? (await explain(session, model as ModelName, 'all', where, { changes })).rows : [];
      const allowed = (op: PolicyOperation) => explained?.operations[op]?.allowed === true;
      verdicts.set(
        session,
        explained && {
          read: allowed('read'),
          update: allowed('update') && allowed('post-update'),
          delete: allowed('delete'),
          create: allowed('create'),
        },
      );
    }
    return verdicts.get(session);
  };
  return {
    attempt: async (session, operation) => {
      const op = ops[operation];
      return op ? attempt(session, op) : 'n/a';
    },
    expected: async (session, operation) => {
      const v = await verdictsOf(session);
      if (!ops[operation] || !v) return 'n/a';
      return v[operation] ? 'allowed' : 'denied';
    },
  };
}
