/** IPv4 CIDR arithmetic, enough to check that subnets fit their VPC before AWS is asked. */

export interface CidrRange {
  first: number;
  last: number;
}

/** The address range of an IPv4 CIDR block (already shape-checked by the answers schema). */
export function cidrRange(cidr: string): CidrRange {
  const [ip, bits] = cidr.split('/') as [string, string];
  const base = ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const first = base - (base % size);
  return { first, last: first + size - 1 };
}

export function cidrContains(outer: string, inner: string): boolean {
  const o = cidrRange(outer);
  const i = cidrRange(inner);
  return i.first >= o.first && i.last <= o.last;
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = cidrRange(a);
  const y = cidrRange(b);
  return x.first <= y.last && y.first <= x.last;
}
