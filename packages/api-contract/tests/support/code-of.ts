import { TRPCError } from '@trpc/server';

/** The tRPC code a call ends with ('OK' when it succeeds), so tests assert the kind of failure. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof TRPCError ? err.code : `not a TRPCError: ${String(err)}`;
  }
}
