/**
 * Why a session cannot work in an organization. Each is thrown before any
 * connection to an organization's database is attempted; `code` is the tRPC
 * code the API answers with (packages/api-contract/src/errors.ts).
 */
export abstract class OrgAccessError extends Error {
  abstract readonly code: 'NOT_FOUND' | 'FORBIDDEN' | 'BAD_REQUEST';
  constructor(
    message: string,
    /** The id or slug the caller named. */
    readonly org: string | undefined,
  ) {
    super(message);
  }
}

/** No organization has this id or slug. */
export class OrgNotFoundError extends OrgAccessError {
  override readonly name = 'OrgNotFoundError';
  readonly code = 'NOT_FOUND';
  constructor(org: string) {
    super(`Organization ${JSON.stringify(org)} not found`, org);
  }
}

/** The organization exists but is suspended or archived (or the user is not one of its members). */
export class OrgForbiddenError extends OrgAccessError {
  override readonly name = 'OrgForbiddenError';
  readonly code = 'FORBIDDEN';
  constructor(
    org: string,
    readonly reason: 'suspended' | 'archived' | 'not-a-member',
  ) {
    super(
      reason === 'not-a-member'
        ? `Not a member of organization ${JSON.stringify(org)}`
        : `Organization ${JSON.stringify(org)} is ${reason}`,
      org,
    );
  }
}

/**
 * The call does not fit the mode: organization mode needs an organization
 * (in the session or `{ org }`), and single-database mode refuses one rather
 * than serve it from the one shared database.
 */
export class OrgRoutingError extends OrgAccessError {
  override readonly name = 'OrgRoutingError';
  readonly code = 'BAD_REQUEST';
}

/**
 * The OrgAccessError behind `err`, if any. A refusal found at the first
 * query (a session built by hand for an organization not seen yet) reaches
 * the caller wrapped in ZenStack's ORMError as its `cause`.
 */
export function orgAccessErrorOf(err: unknown): OrgAccessError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof OrgAccessError) return e;
  }
  return undefined;
}
