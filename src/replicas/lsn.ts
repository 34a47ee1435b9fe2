/**
 * PostgreSQL WAL positions (`pg_lsn`, written `16/B374D848`) as bigints, so
 * that they compare and order exactly. An LSN is what an app carries across
 * requests to keep read-your-writes (see README, "Read replicas").
 */
const LSN = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

export function isLsn(text: unknown): text is string {
  return typeof text === 'string' && LSN.test(text);
}

/** @example parseLsn('0/3000060') // => 50331744n */
export function parseLsn(text: string): bigint {
  const match = LSN.exec(text);
  if (!match) throw new TypeError(`not a PostgreSQL LSN (expected e.g. "0/3000060"): ${JSON.stringify(text)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** @example formatLsn(50331744n) // => '0/3000060' */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
