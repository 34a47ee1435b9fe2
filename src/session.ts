import {
  InvalidSessionError,
  MAX_MEMBERSHIPS,
  parseSessionUser,
  type SessionInput,
  type ValidSession,
} from '@acme/auth';
import { createDb } from './client.ts';
import { activeOrgRouter } from './orgs/mode.ts';

/**
 * Builds the session `createDb` needs for a user: their identity (from the
 * auth provider or a verified token) plus their clinic memberships, read from
 * `ClinicMembership`. Call it once per request, so that a membership an ADMIN
 * removed stops working on the user's next request.
 *
 * It reads through the user's own policy client (a user may read their own
 * memberships), so it needs no way around the rules. One indexed query, on
 * the primary even with read replicas: a replica could still show a removed
 * membership for up to DB_REPLICA_MAX_LAG_MS.
 * The result is a `ValidSession`: `createDb` and the API take it without
 * parsing it again.
 *
 * @example
 * const session = await loadSession({ id: token.sub, role: token.role });
 * const db = createDb(session);
 */
export async function loadSession(
  identity: Pick<SessionInput, 'id' | 'role' | 'orgId' | 'orgSlug'>,
): Promise<ValidSession> {
  // Organization mode: the organization must be active and the user one of
  // its members, with the role they have there (src/orgs/router.ts).
  const orgs = activeOrgRouter();
  const user = orgs
    ? await orgs.authorize(identity)
    : parseSessionUser({ id: identity.id, role: identity.role, ...orgOf(identity) });
  const { id } = user;
  const rows = await createDb(user, { primary: true }).clinicMembership.findMany({
    where: { userId: id },
    select: { clinicId: true, role: true },
    orderBy: { clinicId: 'asc' },
    take: MAX_MEMBERSHIPS + 1,
  });
  if (rows.length > MAX_MEMBERSHIPS) {
    throw new InvalidSessionError([`memberships: more than ${MAX_MEMBERSHIPS} clinics`]);
  }
  return parseSessionUser({ ...user, memberships: rows });
}

const orgOf = (i: Pick<SessionInput, 'orgId' | 'orgSlug'>) => ({
  ...(i.orgId === undefined ? {} : { orgId: i.orgId }),
  ...(i.orgSlug === undefined ? {} : { orgSlug: i.orgSlug }),
});
