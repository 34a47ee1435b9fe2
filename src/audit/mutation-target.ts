import { ORMError, ORMErrorReason, QueryUtils } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import {
  AliasNode,
  DeleteQueryNode,
  IdentifierNode,
  InsertQueryNode,
  type OperationNode,
  TableNode,
  UpdateQueryNode,
} from 'kysely';

/** The model a mutation statement writes to, and the alias it is referred to by. */
export interface MutationTarget {
  model: string;
  alias?: string;
}

/**
 * The model an INSERT, UPDATE or DELETE writes to, or undefined for reads and
 * for tables that are not models (the statement is then left alone).
 */
export function mutationTarget(schema: SchemaDef, node: OperationNode): MutationTarget | undefined {
  let table: OperationNode | undefined;
  if (InsertQueryNode.is(node)) table = node.into;
  else if (UpdateQueryNode.is(node)) table = node.table;
  else if (DeleteQueryNode.is(node)) {
    if (node.from.froms.length !== 1 || node.using || node.joins) {
      throw new ORMError(ORMErrorReason.NOT_SUPPORTED, 'Cannot audit a multi-table DELETE');
    }
    table = node.from.froms[0];
  }
  const target = table ? tableInfo(table) : undefined;
  return target && QueryUtils.hasModel(schema, target.model) ? target : undefined;
}

function tableInfo(node: OperationNode): MutationTarget | undefined {
  if (TableNode.is(node)) return { model: node.table.identifier.name };
  if (AliasNode.is(node) && TableNode.is(node.node) && IdentifierNode.is(node.alias)) {
    return { model: node.node.table.identifier.name, alias: node.alias.name };
  }
  return undefined;
}

/** `"Model"` or `"Model as alias"`, as Kysely's builder takes it. */
export function tableSql(target: MutationTarget): string {
  return target.alias ? `${target.model} as ${target.alias}` : target.model;
}
