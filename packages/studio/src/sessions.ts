import type { SessionInput } from '@acme/auth';
import { loadSession } from '@acme/db';
import { z } from 'zod';

/** Who the studio looks as: anonymous, a bare role, or a real user whose memberships loadSession loads. */
export const studioSession = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('anonymous') }),
  z.object({ kind: z.literal('role'), role: z.enum(['USER', 'SUPPORT', 'ADMIN']) }),
  z.object({ kind: z.literal('user'), id: z.string().min(1).max(128), role: z.enum(['USER', 'SUPPORT', 'ADMIN']) }),
]);
export type StudioSession = z.infer<typeof studioSession>;

/** The session `createDb` gets: built the way the API builds it. */
export async function toSession(s: StudioSession): Promise<SessionInput | null> {
  if (s.kind === 'anonymous') return null;
  // A bare role: a user with that role and no memberships.
  if (s.kind === 'role') return { id: `studio-${s.role.toLowerCase()}`, role: s.role, memberships: [] };
  return loadSession({ id: s.id, role: s.role });
}
