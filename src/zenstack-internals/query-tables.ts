import type { OperationNode } from 'kysely';

/**
 * Every table a query tree names, wherever it sits (FROM, JOIN, lateral
 * subqueries, EXISTS, INSERT targets): ZenStack's policy plugin filters
 * exactly those, so a query whose tables all allow everything to this
 * session gets nothing from it. Undefined when a table is schema-qualified
 * (not one of ours by plain name): the caller then takes the plain path.
 */
export function queryTables(node: OperationNode): Set<string> | undefined {
  const out = new Set<string>();
  return walk(node, out) ? out : undefined;
}

function walk(value: unknown, out: Set<string>): boolean {
  if (Array.isArray(value)) {
    for (const item of value) if (!walk(item, out)) return false;
    return true;
  }
  if (value === null || typeof value !== 'object') return true;
  const node = value as { kind?: string; table?: { schema?: unknown; identifier?: { name?: string } } };
  // Bound values (strings, Dates, Decimals, JSON, bytes) hold no tables.
  if (node.kind === 'ValueNode' || node.kind === 'PrimitiveValueListNode') return true;
  if (node.kind === 'TableNode') {
    if (node.table?.schema !== undefined || typeof node.table?.identifier?.name !== 'string') return false;
    out.add(node.table.identifier.name);
    return true;
  }
  for (const key in value) {
    // A reference's table is a qualifier (often an alias such as "$$_Clinic$links"), not a table read.
    if (key === 'kind' || (key === 'table' && node.kind === 'ReferenceNode')) continue;
    if (!walk((value as Record<string, unknown>)[key], out)) return false;
  }
  return true;
}
