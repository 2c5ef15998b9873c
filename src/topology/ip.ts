/** IPv4 and IPv6 addresses and prefixes: read (every spelling), checked, written back in one form. */
import { quote } from '../errors.js';
import { describeChar, firstOutside } from './chars.js';

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

/*
 * IPv6: every address the topology gives is read here and only here, in any spelling RFC 4291
 * allows (upper case, leading zeros, `::`, a trailing dotted quad), and written back in the
 * one spelling of RFC 5952 (lowercase, no leading zeros, the longest run of zero groups as
 * `::`). Two spellings of one address are one address; configs and messages show the canonical one.
 */

const V6_BITS = 128n;
const V6_MAX = (1n << V6_BITS) - 1n;

/** Why a text is not an IPv6 address, in words (null: it is one). */
export function ipv6Problem(s: string): string | null {
  if (s.includes('%')) return `it has a zone id (${quote(s.slice(s.indexOf('%')))}): a fabric address is not link-local, give it without`;
  if (s.startsWith('[') || s.endsWith(']')) return 'it is in brackets: write the address alone';
  if (s.includes('/')) return 'it has a prefix length: write the address alone';
  if (!s.includes(':')) return 'it has no colon (eight groups of 1-4 hex digits, one :: for a run of zeros)';
  const bad = firstOutside(s, /^[0-9A-Fa-f:.]$/);
  if (bad) return `${describeChar(bad.ch)} at character ${bad.at} is not a hex digit, ':' or '.'`;
  if (s.split('::').length > 2) return "it has '::' more than once";
  const groups = s.split(':');
  const long = groups.find((g) => !g.includes('.') && g.length > 4);
  if (long) return `group ${long} has more than 4 hex digits`;
  const last = groups[groups.length - 1];
  if (last.includes('.') && parseIpv4(last) === null) return `its IPv4 part ${last} is not four decimal numbers 0-255 without leading zeros`;
  if (groups.slice(0, -1).some((g) => g.includes('.'))) return 'a dotted IPv4 part may only end the address';
  return parseIpv6(s) === null ? 'it does not have eight groups (or fewer with one ::)' : null;
}

/** An IPv6 address as a 128-bit number, or null when `s` is not one (zone ids and brackets are not). */
export function parseIpv6(s: string): bigint | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = v6Groups(halves[0], halves.length === 1 ? 'all' : 'head');
  const tail = halves.length === 2 ? v6Groups(halves[1], 'tail') : [];
  if (!head || !tail) return null;
  const count = head.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const groups = [...head, ...Array<number>(8 - count).fill(0), ...tail];
  return groups.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
}

/** The 16-bit groups of one side of `::`; a dotted quad may end the address (two groups). */
function v6Groups(part: string, side: 'head' | 'tail' | 'all'): number[] | null {
  if (part === '') return side === 'all' ? null : [];
  const out: number[] = [];
  const texts = part.split(':');
  for (const [i, g] of texts.entries()) {
    if (g.includes('.')) {
      const v4 = i === texts.length - 1 && side !== 'head' ? parseIpv4(g) : null;
      if (v4 === null) return null;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) out.push(parseInt(g, 16));
    else return null;
  }
  return out;
}

/** RFC 5952: lowercase, no leading zeros, the longest run (two groups or more, the first of equals) as `::`. */
export function formatIpv6(n: bigint): string {
  // RFC 5952 section 5: an IPv4-mapped address ends in its dotted quad
  if (n >> 32n === 0xffffn) return `::ffff:${formatIpv4(Number(n & 0xffffffffn))}`;
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** RFC 5952's one spelling of an IPv6 address; throws when it is not one (check with parseIpv6 first). */
export function canonicalIpv6(address: string): string {
  const n = parseIpv6(address);
  if (n === null) throw new Error(`not an IPv6 address: ${JSON.stringify(address)}`);
  return formatIpv6(n);
}

export interface Cidr6 {
  network: bigint;
  prefix: number;
  /** the last address of the prefix */
  last: bigint;
}

/** Parses "addr/len"; with strict, host bits must be zero. */
export function parseCidr6(s: string, strict = true): Cidr6 | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m || (m[2].length > 1 && m[2].startsWith('0'))) return null;
  const addr = parseIpv6(m[1]);
  const prefix = Number(m[2]);
  if (addr === null || prefix > 128) return null;
  const hostMask = (1n << BigInt(128 - prefix)) - 1n;
  const network = addr & (V6_MAX ^ hostMask);
  if (strict && network !== addr) return null;
  return { network, prefix, last: network | hostMask };
}

export function inCidr6(ip: bigint, c: Cidr6): boolean {
  return ip >= c.network && ip <= c.last;
}

export function formatCidr6(c: Cidr6): string {
  return `${formatIpv6(c.network)}/${c.prefix}`;
}

/** Whether two prefixes share an address. */
export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  return a.network <= b.last && b.network <= a.last;
}

/** [block, why] for IPv6 that is never a fabric address, most specific first. */
const SPECIAL6: [string, string][] = [
  ['::/128', 'the unspecified address (::)'],
  ['::1/128', 'the loopback address (::1)'],
  ['::ffff:0:0/96', 'IPv4-mapped (::ffff:0:0/96): it stands for an IPv4 address, not an IPv6 host'],
  ['::/96', 'IPv4-compatible (::/96, deprecated by RFC 4291)'],
  ['64:ff9b::/96', 'in 64:ff9b::/96 (NAT64, RFC 6052)'],
  ['64:ff9b:1::/48', 'in 64:ff9b:1::/48 (local NAT64, RFC 8215)'],
  ['100::/64', 'in 100::/64 (discard-only, RFC 6666)'],
  ['2001::/32', 'in 2001::/32 (Teredo, RFC 4380)'],
  ['2001:10::/28', 'in 2001:10::/28 (ORCHID, RFC 4843)'],
  ['2001:20::/28', 'in 2001:20::/28 (ORCHIDv2, RFC 7343)'],
  ['2002::/16', 'in 2002::/16 (6to4, RFC 3056: it embeds an IPv4 address)'],
  ['fe80::/10', 'link-local (fe80::/10): it needs a zone id and never leaves its link'],
  ['fec0::/10', 'site-local (fec0::/10, deprecated by RFC 3879)'],
  ['ff00::/8', 'multicast (ff00::/8)'],
];
const SPECIAL6_CIDRS = SPECIAL6.map(([c, why]) => [parseCidr6(c)!, why] as const);
/** Where fabric addresses come from: global unicast (documentation prefixes included: fine for a lab) and unique local. */
const UNICAST6 = ['2000::/3', 'fc00::/7'].map((c) => parseCidr6(c)!);

/**
 * Why an IPv6 address can never be a fabric address, or null for an ordinary one: the special
 * blocks of RFC 6890's registry, and anything outside global unicast (2000::/3) and unique
 * local (fc00::/7). The documentation prefixes 2001:db8::/32 and 3fff::/20 are ordinary here:
 * a lab may use them (a real fabric takes its own global prefix or a ULA).
 */
export function specialRange6(ip: bigint): string | null {
  for (const [c, why] of SPECIAL6_CIDRS) if (inCidr6(ip, c)) return why;
  if (UNICAST6.some((c) => inCidr6(ip, c))) return null;
  const block = formatCidr6({ network: ip >> 120n << 120n, prefix: 8, last: 0n });
  return `in ${block}, which the IETF reserves (fabric addresses are global unicast, 2000::/3, or unique local, fc00::/7)`;
}

/** The special block a prefix touches (its first or last address), or null. */
export function specialPrefix6(c: Cidr6): string | null {
  return specialRange6(c.network) ?? specialRange6(c.last);
}

/**
 * The derivation rule for host addresses: the IPv6 prefix, then the octets of the IPv4 address
 * that the IPv4 subnet does not wholly fix, each written as one group with the same digits
 * (172.16.1.11 in a /24 -> PREFIX::11; 10.61.9.7 in a /22 -> PREFIX::9:7). Null when the
 * prefix leaves too few bits for those groups (see groupsFor).
 */
export function deriveIpv6(prefix: Cidr6, v4: number, v4Prefix: number): bigint | null {
  const n = groupsFor(v4Prefix);
  if (prefix.prefix > 128 - 16 * n) return null;
  const octets = [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].slice(4 - n);
  const low = octets.reduce((acc, o) => (acc << 16n) | BigInt(parseInt(String(o), 16)), 0n);
  return prefix.network | low;
}

/** Groups the rule writes for an IPv4 subnet of this length: one per octet it does not wholly fix. */
export function groupsFor(v4Prefix: number): number {
  return 4 - Math.floor(v4Prefix / 8);
}
