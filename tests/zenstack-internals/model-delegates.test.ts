/**
 * Contract test of model-delegates.ts (src/zenstack-internals/): the copy of
 * ZenStack 3.9's onQuery chain (`createModelCrudHandler`'s `createPromise`)
 * that a refused-up-front call runs instead of ZenStack's own. The same call
 * goes through a stock client and through `withModelDelegates` over it; the
 * plugins must be called in the same order, with the same client, model,
 * operation and args, and the caller must get the same error or result. A
 * failure here after an upgrade means ZenStack changed how it runs its
 * plugins: review the copy before a bound client serves another call.
 */
import { type AnyPlugin, ORMError, ORMErrorReason } from '@zenstackhq/orm';
import { afterAll, describe, expect, it } from 'vitest';
import { pluginClientOf, withModelDelegates } from '../../src/zenstack-internals/index.ts';
import { openUnrestrictedDb, uid } from '../support/fixtures.ts';
import { stockClient } from './harness.ts';

interface Call {
  plugin: string;
  client: unknown;
  model: string;
  operation: string;
  args: unknown;
}
const calls: Call[] = [];
const REFUSE = 'refuse me';

/** Records its call; `rewrite` hands the next layer other args (to see that each layer gets the previous one's). */
const recorder = (id: string, rewrite = false): AnyPlugin => ({
  id,
  onQuery: ({ client, model, operation, args, proceed }) => {
    calls.push({ plugin: id, client, model, operation, args });
    return proceed(rewrite ? { ...(args as object) } : args);
  },
});
/** Refuses a write whose data names REFUSE, as policy folding refuses one the session alone rules out. */
const refuser: AnyPlugin = {
  id: 'refuser',
  onQuery: async ({ client, model, operation, args, proceed }) => {
    calls.push({ plugin: 'refuser', client, model, operation, args });
    const data = (args as { data?: { name?: string } | { name?: string }[] } | undefined)?.data;
    if ([data].flat().some((d) => d?.name === REFUSE)) {
      const error = new ORMError(ORMErrorReason.REJECTED_BY_POLICY, `No access to ${operation} ${model}`);
      error.model = model;
      throw error;
    }
    return proceed(args);
  },
};

// ZenStack's list: the last plugin runs first (plugin-order.ts), so `outer` sees the call first.
const stock = stockClient([recorder('inner'), refuser, recorder('middle', true), recorder('outer')]);
const always = () => true;
type Delegates = Record<
  string,
  Record<string, (args?: unknown) => PromiseLike<unknown> & { cb: (tx?: unknown) => Promise<unknown> }>
>;
const fenced = withModelDelegates(stock, always) as unknown as Delegates;
const plain = stock as unknown as Delegates;
const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

/** Runs `call` and returns its outcome with the plugin calls it made. */
async function observed(call: () => PromiseLike<unknown>) {
  calls.length = 0;
  const outcome = await Promise.resolve(call()).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return { outcome, calls: [...calls] };
}

const errorOf = (o: { ok: boolean; error?: unknown }) => {
  const e = o.error as ORMError;
  return { ok: o.ok, type: e?.constructor, reason: e?.reason, model: e?.model, message: e?.message };
};

describe('model-delegates.ts: the copied onQuery chain is ZenStack’s', () => {
  const writes: [string, string, (name: string) => unknown][] = [
    ['clinic', 'create', (name) => ({ data: { name, code: uid('md') } })],
    ['clinic', 'createMany', (name) => ({ data: [{ name, code: uid('md') }] })],
    ['clinic', 'update', (name) => ({ where: { id: 'no-such-clinic' }, data: { name } })],
    ['clinic', 'updateMany', (name) => ({ where: { id: 'no-such-clinic' }, data: { name } })],
    ['treatment', 'updateManyAndReturn', (name) => ({ where: { id: 'no-such' }, data: { name } })],
  ];

  for (const [model, operation, args] of writes) {
    it(`${model}.${operation} refused: same plugins, order, client, model, operation, args and error`, async () => {
      const input = args(REFUSE);
      const ours = await observed(() => fenced[model]?.[operation]?.(input) as PromiseLike<unknown>);
      const theirs = await observed(() => plain[model]?.[operation]?.(input) as PromiseLike<unknown>);
      expect(theirs.calls.map((c) => c.plugin)).toEqual(['outer', 'middle', 'refuser']);
      expect(ours.calls.map((c) => c.plugin)).toEqual(theirs.calls.map((c) => c.plugin));
      for (const [i, call] of ours.calls.entries()) {
        const their = theirs.calls[i] as Call;
        expect(call.client).toBe(their.client);
        expect([call.model, call.operation]).toEqual([their.model, their.operation]);
        expect(call.args).toEqual(their.args);
      }
      // The caller's own args object reaches the outermost layer; a layer's rewrite reaches the next one.
      expect(ours.calls[0]?.args).toBe(input);
      expect(ours.calls[1]?.args).toBe(input);
      expect(ours.calls[2]?.args).not.toBe(input);
      expect(errorOf(ours.outcome)).toEqual(errorOf(theirs.outcome));
      expect(errorOf(ours.outcome)).toMatchObject({ ok: false, reason: ORMErrorReason.REJECTED_BY_POLICY });
    });
  }

  it('the plugins get the client pluginClientOf returns (ZenStack’s client behind its proxy)', async () => {
    const theirs = await observed(
      () => plain.clinic?.update?.({ where: { id: 'x' }, data: { name: REFUSE } }) as never,
    );
    expect(theirs.calls[0]?.client).toBe(pluginClientOf(stock));
    expect(theirs.calls[0]?.client).not.toBe(stock);
  });

  it('a chain that reaches its end gives ZenStack’s own result (and state)', async () => {
    const code = uid('md-end');
    const ours = await observed(() => fenced.clinic?.create?.({ data: { name: 'Through', code } }) as never);
    expect(ours.outcome.ok).toBe(true);
    // The end is ZenStack's own operation, which runs the plugins again: documented in model-delegates.ts.
    expect(ours.calls.map((c) => c.plugin)).toEqual([
      ...['outer', 'middle', 'refuser', 'inner'],
      ...['outer', 'middle', 'refuser', 'inner'],
    ]);
    const row = await raw.clinic.findUnique({ where: { code } });
    expect(ours.outcome).toEqual({ ok: true, value: row });
    const theirs = await observed(() => plain.clinic?.findUnique?.({ where: { code } }) as never);
    expect(theirs.outcome).toEqual({ ok: true, value: row });
  });

  it('asked again when run: a call no longer refused is ZenStack’s operation from the start', async () => {
    let refuse = true;
    const flipping = withModelDelegates(stock, () => refuse) as unknown as Delegates;
    const code = uid('md-flip');
    const pending = flipping.clinic?.create?.({ data: { name: 'Flip', code } }) as PromiseLike<unknown>;
    refuse = false;
    const ours = await observed(() => pending);
    expect(ours.outcome.ok).toBe(true);
    expect(ours.calls.map((c) => c.plugin)).toEqual(['outer', 'middle', 'refuser', 'inner']);
  });

  it('lazy as ZenStack’s promise: nothing runs until awaited, and it runs once', async () => {
    calls.length = 0;
    const p = fenced.clinic?.update?.({ where: { id: 'x' }, data: { name: REFUSE } }) as PromiseLike<unknown>;
    const q = plain.clinic?.update?.({ where: { id: 'x' }, data: { name: REFUSE } }) as PromiseLike<unknown>;
    expect(calls).toHaveLength(0);
    const first = await Promise.resolve(p).catch((e: unknown) => e);
    const again = await Promise.resolve(p).catch((e: unknown) => e);
    expect(again).toBe(first);
    expect(calls.map((c) => c.plugin)).toEqual(['outer', 'middle', 'refuser']);
    await Promise.resolve(q).catch(() => {});
    expect(Object.prototype.toString.call(p)).toBe(Object.prototype.toString.call(q));
  });

  it('in a sequential $transaction([...]): the same refusal, and an end that runs reaches the transaction', async () => {
    const refused = (db: Delegates) => [
      db.clinic?.create?.({ data: { name: 'Tx', code: uid('md-tx') } }),
      db.clinic?.update?.({ where: { id: 'x' }, data: { name: REFUSE } }),
    ];
    const ours = await stock.$transaction(refused(fenced) as never).catch((e: unknown) => e);
    const theirs = await stock.$transaction(refused(plain) as never).catch((e: unknown) => e);
    expect(errorOf({ ok: false, error: ours })).toEqual(errorOf({ ok: false, error: theirs }));
    // The create before the refusal ran inside the transaction, and was rolled back with it.
    expect(await raw.clinic.count({ where: { name: 'Tx' } })).toBe(0);
  });

  it('ZenStack builds a new CRUD handler per access; one per client and model serves every call here', () => {
    expect(plain.clinic).not.toBe(plain.clinic);
    expect(fenced.clinic).toBe(fenced.clinic);
    expect(Object.keys(fenced.clinic ?? {}).sort()).toEqual(Object.keys(plain.clinic ?? {}).sort());
    expect(fenced.noSuchModel).toBeUndefined();
    expect(typeof (fenced as unknown as { $transaction: unknown }).$transaction).toBe('function');
  });
});
