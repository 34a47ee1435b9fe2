import {
  AndNode,
  BinaryOperationNode,
  ColumnNode,
  type OperationNode,
  OperatorNode,
  OrNode,
  ParensNode,
  ReferenceNode,
  ValueNode,
} from 'kysely';

/**
 * True when `where` (top-level AND/OR) pins `id` to values all in `ids`.
 * Reach-in: relies on ZenStack 3.9 building the read-back of an update (its
 * own, and the policy plugin's post-update check) as `"id" = <value node>`
 * with the id as a plain string value.
 */
export function onlyIds(where: OperationNode | undefined, ids: Set<string>): boolean {
  if (!where || ids.size === 0) return false;
  if (ParensNode.is(where)) return onlyIds(where.node, ids);
  if (AndNode.is(where)) return onlyIds(where.left, ids) || onlyIds(where.right, ids);
  if (OrNode.is(where)) return onlyIds(where.left, ids) && onlyIds(where.right, ids);
  if (!BinaryOperationNode.is(where) || !OperatorNode.is(where.operator) || where.operator.operator !== '=')
    return false;
  const { leftOperand: left, rightOperand: right } = where;
  return (
    ReferenceNode.is(left) &&
    ColumnNode.is(left.column) &&
    left.column.column.name === 'id' &&
    ValueNode.is(right) &&
    typeof right.value === 'string' &&
    ids.has(right.value)
  );
}
