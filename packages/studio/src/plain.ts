/**
 * A row as JSON can carry it: Decimal and BigInt as strings, dates as ISO
 * strings (the studio only shows values, it never writes them back).
 */
export function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (
      proto !== Object.prototype &&
      proto !== null &&
      typeof (value as { toString?: unknown }).toString === 'function'
    ) {
      return String(value); // Decimal and friends
    }
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
