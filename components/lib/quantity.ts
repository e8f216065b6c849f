// Kubernetes resource quantities ("500m", "10Gi", "1.5") parsed to plain numbers, so the
// config schema can reject "10 gigs" and compare requests with limits.

const SUFFIX_FACTORS: Record<string, number> = {
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** The numeric value of a quantity (bytes for memory, cores for CPU), or undefined if malformed. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  const factor = match ? SUFFIX_FACTORS[match[2] ?? ""] : undefined;
  if (!match || factor === undefined) return undefined;
  return Number(match[1]) * factor;
}

/** Byte suffixes only: storage and memory must not be given in millibytes or as bare SI without unit confusion. */
const BYTE_QUANTITY = /^[0-9]+(?:\.[0-9]+)?(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

export function isByteQuantity(text: string): boolean {
  return BYTE_QUANTITY.test(text);
}

/**
 * A size in a server's own powers-of-1024 units, e.g. PostgreSQL's "256MB" (units kB,
 * MB, GB, TB), Prometheus' "42GB" (KB, ...) or Redis' "256mb" (kb, mb, gb): `units` from
 * the smallest, each 1024 times the one before. NaN when the text is none of them.
 */
export function binaryUnitBytes(size: string, units: readonly string[]): number {
  const match = /^([0-9]+)([A-Za-z]+)$/.exec(size);
  const power = match ? units.indexOf(match[2]!) + 1 : 0;
  return power > 0 ? Number(match![1]) * 1024 ** power : Number.NaN;
}
