import type { AnyPlugin } from '@zenstackhq/orm';
import {
  AliasNode,
  type JoinNode,
  OffsetNode,
  OperationNodeTransformer,
  type QueryId,
  SelectQueryNode,
  ValueNode,
} from 'kysely';

const LATERAL = new Set<JoinNode['joinType']>(['LateralLeftJoin', 'LateralInnerJoin', 'LateralCrossJoin']);

/**
 * `OFFSET 0` on each LATERAL subquery ZenStack builds for an `include`.
 *
 * A to-one include is `LEFT JOIN LATERAL (SELECT jsonb_build_object(…) FROM
 * "Treatment" WHERE "id" = "link"."treatmentId")`. PostgreSQL flattens that
 * subquery into a join and, as its output sits on the nullable side of a left
 * join, evaluates the `jsonb_build_object` at the scan: with a hash join it
 * builds the JSON of every Treatment for every clinic of a page (EXPLAIN in
 * bench/RESULTS.md: 25,000 objects for 1,000 links, 111 ms of the list page's
 * 120). `OFFSET 0` changes no result — it skips nothing — but keeps the
 * subquery from being flattened, so it runs per outer row on the primary key
 * and builds only the objects it returns.
 */
class Fence extends OperationNodeTransformer {
  protected override transformJoin(node: JoinNode, queryId?: QueryId): JoinNode {
    const join = super.transformJoin(node, queryId);
    const table = join.table;
    if (!LATERAL.has(join.joinType) || !AliasNode.is(table) || !SelectQueryNode.is(table.node)) return join;
    const sub = table.node;
    if (sub.offset || sub.limit) return join;
    const fenced: SelectQueryNode = { ...sub, offset: OffsetNode.create(ValueNode.createImmediate(0)) };
    return { ...join, table: AliasNode.create(fenced, table.alias) };
  }
}

export class LateralFencePlugin implements AnyPlugin {
  readonly id = 'lateral-fence';
  readonly name = 'Keep include subqueries from being flattened';

  onKyselyQuery: NonNullable<AnyPlugin['onKyselyQuery']> = ({ query, proceed }) =>
    SelectQueryNode.is(query) ? proceed(new Fence().transformNode(query)) : proceed(query);
}
