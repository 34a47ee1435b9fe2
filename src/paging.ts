/**
 * `findMany({ take, orderBy, include })` compiled by ZenStack 3.9 joins the
 * relations laterally *before* it sorts and limits, so PostgreSQL builds the
 * nested rows for every matching record and then keeps `take` of them: a
 * 50-row page over 10,000 clinics took ~600x hand-written SQL (bench/RESULTS.md).
 *
 * This pages the ids first (sorted, limited, filtered by the same rules) and
 * then loads the relations for just those ids. Two statements instead of one,
 * both through the caller's client, so the access rules apply to both.
 */
type FindIds = (args: object) => Promise<{ id: string }[]>;

/** The paging half of findMany arguments: which rows, in which order. */
export interface PageArgs {
  where?: object;
  orderBy?: object | object[];
  take: number;
  skip?: number;
  cursor?: object;
}

/**
 * @example
 * const page = await findManyPaged(db.clinic, { take: 50, orderBy: [{ name: 'asc' }, { id: 'asc' }] }, (where) =>
 *   db.clinic.findMany({ where, include: { treatmentsByClinic: true } }),
 * );
 */
export async function findManyPaged<T extends { id: string }>(
  delegate: { findMany: unknown },
  paging: PageArgs,
  load: (where: { id: { in: string[] } }) => Promise<T[]>,
): Promise<T[]> {
  const ids = (await (delegate.findMany as FindIds).call(delegate, { ...paging, select: { id: true } })).map(
    (r) => r.id,
  );
  if (ids.length === 0) return [];
  const byId = new Map((await load({ id: { in: ids } })).map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
