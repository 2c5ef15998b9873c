/** Small IPv4 helpers: enough for subnets, gateways and container addresses. */

export function parseIpv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1].length > 1 && m[i + 1].startsWith('0')))) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  network: number;
  prefix: number;
  broadcast: number;
}

/** Parses "a.b.c.d/len"; with strict, host bits must be zero. */
export function parseCidr(s: string, strict = true): Cidr | null {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s);
  if (!m) return null;
  const addr = parseIpv4(m[1]);
  const prefix = Number(m[2]);
  if (addr === null || prefix > 32) return null;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (addr & mask) >>> 0;
  if (strict && network !== addr) return null;
  return { network, prefix, broadcast: (network | (~mask >>> 0)) >>> 0 };
}

export function inCidr(ip: number, c: Cidr): boolean {
  return ip >= c.network && ip <= c.broadcast;
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.prefix}`;
}

/** Blocks that can never be a fabric address (RFC 6890), or null for an ordinary one. */
const SPECIAL: [string, string][] = [
  ['0.0.0.0/8', "in 0.0.0.0/8 ('this network')"],
  ['127.0.0.0/8', 'in 127.0.0.0/8 (loopback)'],
  ['169.254.0.0/16', 'in 169.254.0.0/16 (link-local)'],
  ['224.0.0.0/4', 'in 224.0.0.0/4 (multicast)'],
  ['240.0.0.0/4', 'in 240.0.0.0/4 (reserved, and the broadcast address)'],
];
const SPECIAL_CIDRS = SPECIAL.map(([c, why]) => [parseCidr(c)!, why] as const);

export function specialRange(ip: number): string | null {
  for (const [c, why] of SPECIAL_CIDRS) if (inCidr(ip, c)) return why;
  return null;
}
