import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import { useEffect, useState } from 'react';
import type { StudioRouter } from '../src/router.ts';

export const api = createTRPCClient<StudioRouter>({ links: [httpBatchLink({ url: '/trpc' })] });
export type Outputs = inferRouterOutputs<StudioRouter>;

export type Loaded<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; data: T };

/** Runs `load` whenever `key` changes; the last answer wins. */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [value, setValue] = useState<Loaded<T>>({ state: 'loading' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for everything `load` reads
  useEffect(() => {
    let live = true;
    setValue({ state: 'loading' });
    load().then(
      (data) => live && setValue({ state: 'ready', data }),
      (err: unknown) => live && setValue({ state: 'error', message: (err as Error).message }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return value;
}
