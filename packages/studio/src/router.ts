import { createDb, createSystemDb, explain, type PolicyOperation } from '@acme/db';
import { schema } from '@acme/db/zenstack/schema.ts';
import { initTRPC } from '@trpc/server';
import { z } from 'zod';
import { type BenchView, readBench } from './bench.ts';
import { plain } from './plain.ts';
import { studioSession, toSession } from './sessions.ts';

type ModelName = keyof typeof schema.models & string;
const MODELS = Object.keys(schema.models) as [ModelName, ...ModelName[]];
const model = z.enum(MODELS);
/** Rows a page shows at most; counts are always exact. */
const PAGE = 200;

export interface MatrixCell {
  session: string;
  model: string;
  operation: string;
  outcome: string;
}

export interface StudioDeps {
  /** The live policy matrix (tooling/policy-probe.ts), computed once on first request. */
  probe?: () => Promise<MatrixCell[]>;
  benchFile: string;
}

// biome-ignore lint/suspicious/noExplicitAny: delegates are picked by model name at runtime
const delegate = (db: unknown, name: string): any => (db as any)[name.charAt(0).toLowerCase() + name.slice(1)];
const idOf = (name: ModelName) => schema.models[name].idFields[0] as string;

const t = initTRPC.create({ isDev: false });

/**
 * What the studio's pages ask for. Read-only: no procedure writes. Sessions'
 * rows come through createDb (the real rules, row-level security included);
 * counts of hidden rows and explanations come from the owner's view.
 */
export function studioRouter(deps: StudioDeps) {
  let matrix: Promise<MatrixCell[]> | undefined;
  return t.router({
    overview: t.procedure.query(async () => {
      const sys = createSystemDb('studio');
      const memberships = await sys.clinicMembership.findMany({
        select: { userId: true, clinicId: true, role: true },
        orderBy: [{ userId: 'asc' }, { clinicId: 'asc' }],
        take: 2000,
      });
      const users = new Map<string, { clinicId: string; role: string }[]>();
      for (const m of memberships)
        users.set(m.userId, [...(users.get(m.userId) ?? []), { clinicId: m.clinicId, role: m.role }]);
      return {
        models: MODELS,
        users: [...users].map(([id, ms]) => ({ id, memberships: ms })),
      };
    }),

    rows: t.procedure
      .input(z.object({ model, session: studioSession, includeDeleted: z.boolean().default(false) }))
      .query(async ({ input }) => {
        const session = await toSession(input.session);
        const options = { includeDeleted: input.includeDeleted };
        const id = idOf(input.model);
        const mine = delegate(createDb(session, options), input.model);
        const [visible, visibleCount, total] = await Promise.all([
          mine.findMany({ take: PAGE, orderBy: { [id]: 'asc' } }),
          mine.count(),
          delegate(createSystemDb('studio', { includeDeleted: true }), input.model).count(),
        ]);
        const explained = await explain(session, input.model, 'read', {}, { ...options, limit: 1000 });
        const hidden = explained.rows.filter((r) => r.operations.read?.allowed === false);
        const why = new Map<string, number>();
        for (const r of hidden) {
          const text = r.operations.read?.decidedBy.text ?? '?';
          why.set(text, (why.get(text) ?? 0) + 1);
        }
        return {
          session: session === null ? null : plain(session),
          rules: explained.rules,
          visible: plain(visible) as Record<string, unknown>[],
          visibleCount: visibleCount as number,
          hiddenCount: (total as number) - (visibleCount as number),
          // Only the ids of hidden rows: their contents are what the session may not see.
          hidden: hidden.slice(0, PAGE).map((r) => ({ id: String(r.id), decidedBy: r.operations.read?.decidedBy })),
          hiddenBy: [...why].map(([text, count]) => ({ text, count })),
          explainedAll: !explained.truncated,
        };
      }),

    explainRow: t.procedure
      .input(z.object({ model, session: studioSession, id: z.string(), includeDeleted: z.boolean().default(false) }))
      .query(async ({ input }) => {
        const session = await toSession(input.session);
        const fields: Record<string, { type: string }> = schema.models[input.model].fields;
        const idValue = fields[idOf(input.model)]?.type === 'BigInt' ? BigInt(input.id) : input.id;
        const e = await explain(
          session,
          input.model,
          'all',
          { [idOf(input.model)]: idValue },
          { includeDeleted: input.includeDeleted },
        );
        const row = e.rows[0];
        return {
          rules: e.rules,
          found: row !== undefined,
          operations: (row?.operations ?? {}) as Record<
            PolicyOperation,
            NonNullable<typeof row>['operations'][PolicyOperation]
          >,
        };
      }),

    matrix: t.procedure.query(async () => {
      if (!deps.probe) return { available: false as const, cells: [] as MatrixCell[] };
      matrix ??= deps.probe().catch((err: unknown) => {
        matrix = undefined;
        throw err;
      });
      return { available: true as const, cells: await matrix };
    }),

    bench: t.procedure.query((): BenchView => readBench(deps.benchFile)),
  });
}

export type StudioRouter = ReturnType<typeof studioRouter>;
