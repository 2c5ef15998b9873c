/**
 * Dual stack: the IPv6 address of everything that has one, given in the topology or derived
 * by the README's rule, worked out once from the raw topology. Pure: the rules judge it,
 * the planner writes it down (canonical). A topology without `ipv6:` has none of it.
 *
 * - hosts (the gateway, servers, containers): `ipv6.prefix` plus the IPv4 address's octets
 *   that the IPv4 subnet does not wholly fix, one group each, same digits (ip.ts deriveIpv6);
 * - switches' loopbacks: `ipv6.loopbacks` plus the IPv4 loopback's four octets as four groups.
 */
import { deriveIpv6, parseCidr, parseCidr6, parseIpv4, parseIpv6, type Cidr6 } from './ip.js';
import type { Path } from './load.js';
import type { RawTopology } from './schema.js';

/** One IPv6 address: as given (any spelling), or derived from an IPv4 one. */
export interface Address6 {
  /** the address; null when the text is not one, or it cannot be derived */
  ip: bigint | null;
  /** the text written in the topology; absent when derived */
  given?: string;
  /** derived: the IPv4 address it comes from */
  from?: string;
  /** where it is written, or where the IPv4 address it comes from is */
  path: Path;
}

export interface Addressing6 {
  /** `ipv6.prefix` (null: not a valid prefix) */
  prefix: Cidr6 | null;
  /** `ipv6.loopbacks` (null: not given, or not a valid prefix) */
  loopbacks: Cidr6 | null;
  gateway: Address6;
  /** server name -> its uplink's address */
  servers: Map<string, Address6>;
  /** server name -> its containers' addresses, in the file's order */
  containers: Map<string, Address6[]>;
  /** switch name -> its loopback; absent when neither given nor derivable (no `ipv6.loopbacks`) */
  switches: Map<string, Address6>;
}

/** Bits of an IPv4 loopback: its four octets make four groups. */
const LOOPBACK_V4_PREFIX = 0;

export function addressing6(t: RawTopology): Addressing6 | undefined {
  const v6 = t.ipv6;
  if (!v6) return undefined;
  const prefix = parseCidr6(v6.prefix);
  const loopbacks = v6.loopbacks === undefined ? null : parseCidr6(v6.loopbacks);
  const v4Prefix = parseCidr(t.subnet)?.prefix ?? null;
  const host = (given: string | undefined, path: Path, v4: string, v4Path: Path): Address6 =>
    given !== undefined ? { ip: parseIpv6(given), given, path } : derived(prefix, v4, v4Prefix, v4Path);
  const servers = new Map<string, Address6>();
  const containers = new Map<string, Address6[]>();
  for (const [n, s] of Object.entries(t.servers)) {
    servers.set(n, host(s.uplink.address6, ['servers', n, 'uplink', 'address6'], s.uplink.address, ['servers', n, 'uplink', 'address']));
    const at = (i: number, ...key: string[]): Path => ['servers', n, 'containers', i, ...key];
    containers.set(n, s.containers.map((c, i) => (typeof c === 'string' ? host(undefined, [], c, at(i)) : host(c.ip6, at(i, 'ip6'), c.ip, at(i, 'ip')))));
  }
  const switches = new Map<string, Address6>();
  for (const [n, s] of Object.entries(t.switches)) {
    if (s.loopback6 !== undefined) switches.set(n, { ip: parseIpv6(s.loopback6), given: s.loopback6, path: ['switches', n, 'loopback6'] });
    else if (v6.loopbacks !== undefined) switches.set(n, derived(loopbacks, s.loopback, LOOPBACK_V4_PREFIX, ['switches', n, 'loopback']));
  }
  return { prefix, loopbacks, gateway: host(v6.gateway, ['ipv6', 'gateway'], t.gateway, ['gateway']), servers, containers, switches };
}

function derived(prefix: Cidr6 | null, v4: string, v4Prefix: number | null, path: Path): Address6 {
  const n = parseIpv4(v4);
  const ip = prefix && n !== null && v4Prefix !== null ? deriveIpv6(prefix, n, v4Prefix) : null;
  return { ip, from: v4, path };
}
