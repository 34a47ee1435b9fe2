export { createContext, createHttpContext } from './context.ts';
export { toTRPCError } from './errors.ts';
export { LIMITS } from './inputs.ts';
export { formatMoney } from './output.ts';
export { type AppRouter, appRouter, createCaller } from './root.ts';
export type { Context } from './trpc.ts';
