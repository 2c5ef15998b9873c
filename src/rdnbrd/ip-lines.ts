/**
 * The one reader of what iproute2 6.1 prints as text: `ip [-o] [-ts] monitor` of neighbors,
 * links and routes, `ip neigh show` and `ip route show [table N]`, IPv4 and IPv6 alike, and
 * what proxy NDP reads (`ip -o -6 route show`, `ip -6 netconf`, `ip -6 neigh show proxy`).
 * Node has no netlink socket, so these lines are the agent's view of the kernel; `cldemo
 * events` and the bench read the same lines with these same functions (this folder ships alone
 * to the switches with Node built-ins only, so everyone else imports from here).
 */
import { parseIpv6 } from './address.js';

/**
 * States in which a neighbor is alive: the agent gives it a /32, `events` says `learned`,
 * `status` counts its ARP entry as live, the bench dates "ARP learned" from it. NOARP is
 * not one: the kernel never asked, so nothing answered.
 */
export const LIVE_STATES: ReadonlySet<string> = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT']);

export interface NeighborEvent {
  kind: 'neigh';
  ip: string;
  dev: string;
  mac?: string;
  state: string;
  deleted: boolean;
  /** IPv6: the neighbor said it is a router (NDP's R flag) */
  router?: boolean;
}

export interface LinkEvent {
  kind: 'link';
  dev: string;
  /** admin up and carrier present */
  up: boolean;
  deleted: boolean;
}

/** A host route (a /32 or /128, or an address without a length). */
export interface KernelRoute {
  kind: 'route';
  ip: string;
  dev?: string;
  proto?: string;
  /** `main` unless the line names another */
  table: string;
  deleted: boolean;
}

/** What one monitor line says: a neighbor, a link or a host route changed. */
export type MonitorEvent = NeighborEvent | LinkEvent | KernelRoute;

/** What `ip monitor` is asked to watch. */
export type MonitorObject = 'neigh' | 'link' | 'route';

const STATE_WORDS = new Set([...LIVE_STATES, 'FAILED', 'INCOMPLETE', 'NOARP', 'NONE']);
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** An address as iproute2 prints one: dotted IPv4 or IPv6. */
function isAddress(word: string): boolean {
  return IPV4.test(word) || (word.includes(':') && parseIpv6(word) !== undefined);
}

/**
 * `10.0.0.5 dev swp1 lladdr aa:bb:cc:dd:ee:ff REACHABLE` (or `2001:db8::5 ... router STALE`),
 * optionally prefixed by `Deleted `; proxy entries and anything without a device are not neighbors.
 */
export function parseNeighborLine(line: string): NeighborEvent | undefined {
  const { words, deleted } = wordsOf(line);
  const ip = words[0];
  if (!ip || !isAddress(ip) || words.includes('proxy')) return undefined;
  const dev = valueAfter(words, 'dev');
  if (!dev) return undefined;
  const mac = valueAfter(words, 'lladdr');
  const state = words.find((w) => STATE_WORDS.has(w)) ?? 'NONE';
  const ev: NeighborEvent = { kind: 'neigh', ip, dev, mac, state, deleted };
  if (ip.includes(':')) ev.router = words.includes('router');
  return ev;
}

/** `2: swp1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ...` (one line with `ip -o`). */
export function parseLinkLine(line: string): LinkEvent | undefined {
  const m = /^(Deleted\s+)?\d+:\s+([^:@\s]+)(@[^:\s]+)?:\s+<([^>]*)>/.exec(line.trim());
  if (!m) return undefined;
  const flags = m[4].split(',');
  const up = flags.includes('UP') && !flags.includes('NO-CARRIER');
  return { kind: 'link', dev: m[2], up: up && !m[1], deleted: Boolean(m[1]) };
}

/**
 * One line of `ip -o [-4|-6] monitor OBJECTS` (or of the matching `show` dumps). A link's line
 * starts with its index; a neighbor's carries `lladdr` or its state in capitals, which a
 * route's never does; when no routes are watched, every address line is a neighbor's.
 */
export function parseMonitorLine(line: string, objects: readonly MonitorObject[]): MonitorEvent | undefined {
  const link = objects.includes('link') ? parseLinkLine(line) : undefined;
  if (link) return link;
  if (objects.includes('neigh') && (!objects.includes('route') || isNeighborLine(line))) return parseNeighborLine(line);
  return objects.includes('route') ? parseRouteLine(line) : undefined;
}

function isNeighborLine(line: string): boolean {
  const words = line.trim().split(/\s+/);
  return words.includes('lladdr') || words.some((w) => STATE_WORDS.has(w));
}

/**
 * `10.0.0.5 dev swp1 table 10 proto 72 scope link`, `2001:db8::5 dev swp1 proto 72 metric 1024 ...`,
 * optionally prefixed by `Deleted `; only host routes are read (a route type first,
 * `local ...`, or a prefix shorter than /32 or /128: none).
 */
export function parseRouteLine(line: string): KernelRoute | undefined {
  const { words, deleted } = wordsOf(line);
  const dst = words[0] ?? '';
  const ip = dst.replace(dst.includes(':') ? /\/128$/ : /\/32$/, '');
  if (!isAddress(ip)) return undefined;
  return { kind: 'route', ip, dev: valueAfter(words, 'dev'), proto: valueAfter(words, 'proto'), table: valueAfter(words, 'table') ?? 'main', deleted };
}

/** A route of any kind, as the agent reads its own tables back: what it is, and enough to delete exactly it. */
export interface TableRoute {
  /** an address (a prefix's first one), or `default` */
  dst: string;
  length: number;
  family: 4 | 6;
  /** a type other than unicast, as printed first (`blackhole`, `unreachable`, `local`, ...) */
  type?: string;
  /** the first `dev` (with `multipath`, the first next hop's) */
  dev?: string;
  /** `boot` (`3` read with `-N`) when iproute2 printed none (it leaves boot out) */
  proto: string;
  /** `main` unless the line names another (read with `-N`, a number, still `main` when none) */
  table: string;
  metric?: string;
  /** next hops of their own (`nexthop via ... \\ nexthop ...`) */
  multipath: boolean;
  deleted: boolean;
}

const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast']);
/** RTN_* of linux/rtnetlink.h: the number `ip -N` prints first for a route of another type */
const ROUTE_TYPE_NUMBERS: Record<string, string> = {
  1: 'unicast', 2: 'local', 3: 'broadcast', 4: 'anycast', 5: 'multicast', 6: 'blackhole', 7: 'unreachable', 8: 'prohibit', 9: 'throw', 10: 'nat',
};
/** RTPROT_* of linux/rtnetlink.h and FRR's, as iproute2 names them (for messages only) */
const PROTO_NAMES: Record<string, string> = {
  0: 'unspec', 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 8: 'gated', 9: 'ra', 10: 'mrt', 11: 'zebra', 12: 'bird', 13: 'dnrouted', 14: 'xorp',
  15: 'ntk', 16: 'dhcp', 17: 'mrouted', 18: 'keepalived', 42: 'babel', 99: 'openr', 186: 'bgp', 187: 'isis', 188: 'ospf', 189: 'rip', 190: 'ripng',
  191: 'nhrp', 192: 'eigrp', 193: 'ldp', 194: 'sharp', 195: 'pbr', 196: 'static (FRR)',
};

/** A route protocol read as a number, said as iproute2 would name it (`3` -> `boot`); anything else as it is. */
export function protoName(proto: string): string {
  return PROTO_NAMES[proto] ?? proto;
}

/**
 * One line of `ip -o route show [table all]` or `ip -o monitor route`, any prefix and type:
 * `blackhole 10.9.0.0/24 table 10`, `default via 10.1.0.2 dev swp1`, `10.9.9.9 dev swp1 table 10 proto 72 scope link`.
 * A `default` route's family is read from its next hop (or IPv6's `pref`). `numeric`: the line
 * is `ip -N`'s (type, protocol and table as numbers: `6 10.9.0.0/24 table 10`).
 */
export function parseTableRoute(line: string, numeric = false): TableRoute | undefined {
  const { words, deleted } = wordsOf(line.replace(/\\/g, ' '));
  const first = words[0] ?? '';
  const typeNumber = numeric && /^\d+$/.test(first) ? ROUTE_TYPE_NUMBERS[first] : undefined;
  if (typeNumber) words.shift();
  const type = typeNumber ?? (ROUTE_TYPES.has(first) ? words.shift() : undefined);
  const [addr, len] = (words[0] ?? '').split('/');
  const v6 = addr === 'default' ? words.some((w) => w.includes(':')) || words.includes('pref') : addr.includes(':');
  const family: 4 | 6 | undefined = addr === 'default' || isAddress(addr) ? (v6 ? 6 : 4) : undefined;
  if (family === undefined || (len !== undefined && !/^\d{1,3}$/.test(len))) return undefined;
  const length = addr === 'default' ? 0 : len === undefined ? (family === 6 ? 128 : 32) : Number(len);
  const metric = valueAfter(words, 'metric');
  return {
    dst: addr, length, family, ...(type && type !== 'unicast' ? { type } : {}), dev: valueAfter(words, 'dev'), proto: valueAfter(words, 'proto') ?? (numeric ? '3' : 'boot'),
    table: valueAfter(words, 'table') ?? 'main', ...(metric ? { metric } : {}), multipath: words.includes('nexthop'), deleted,
  };
}

/** `[2026-11-29T00:42:59.822406] ...` (local time, as `ip -ts` prints it) -> epoch ms and the rest of the line. */
export function parseStamped(line: string): { at: number; rest: string } | undefined {
  const m = /^\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d+)\]\s*(.*)$/.exec(line);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, rest] = m;
  const ms = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime() + Number(`0.${frac}`) * 1000;
  return { at: ms, rest };
}

/** A line's words, and whether the kernel said the object is gone (`Deleted ` first). */
function wordsOf(line: string): { words: string[]; deleted: boolean } {
  const words = line.trim().split(/\s+/);
  const deleted = words[0] === 'Deleted';
  if (deleted) words.shift();
  return { words, deleted };
}

function valueAfter(words: string[], key: string): string | undefined {
  const i = words.indexOf(key);
  return i >= 0 ? words[i + 1] : undefined;
}

/** One route of `ip -o -6 route show`, as proxy NDP reads it: its prefix and every port it leaves by. */
export interface RoutePath {
  dst: string;
  length: number;
  /** `dev` of the route or of each of its nexthops (`ip -o` keeps a multipath route on one line) */
  devs: string[];
  /** has a `via` (a next hop), so it is not an on-link prefix */
  gateway: boolean;
}

/**
 * `2001:db8:1::/64 dev swp1 proto kernel metric 256 pref medium`,
 * `2001:db8:1::21 nhid 27 proto bgp metric 20 pref medium\	nexthop via fe80::1 dev swp51 weight 1 \	nexthop ...`.
 * A line that starts with a route type (`unreachable`, `local`, ...) forwards nothing to a port: none.
 */
export function parseRoutePath(line: string): RoutePath | undefined {
  const words = line.trim().split(/[\s\\]+/);
  const [addr, len] = (words[0] ?? '').split('/');
  if (!isAddress(addr)) return undefined;
  const devs = words.flatMap((w, i) => (w === 'dev' && words[i + 1] ? [words[i + 1]] : []));
  return { dst: addr, length: len === undefined ? (addr.includes(':') ? 128 : 32) : Number(len), devs, gateway: words.includes('via') };
}

/** `inet6 swp1 forwarding on proxy_neigh on ...` (`ip -6 netconf show` and `ip -6 monitor netconf`). */
export function parseNetconfLine(line: string): { dev: string; proxyNeigh?: boolean } | undefined {
  const words = line.trim().split(/\s+/);
  if (words[0] !== 'inet6' || !words[1]) return undefined;
  const proxy = valueAfter(words, 'proxy_neigh');
  return { dev: words[1], proxyNeigh: proxy === undefined ? undefined : proxy === 'on' };
}

/** `2001:db8:1::21 dev swp1 proxy proto 72` (`ip -6 neigh show proxy`). */
export function parseProxyLine(line: string): { ip: string; dev: string } | undefined {
  const words = line.trim().split(/\s+/);
  const dev = valueAfter(words, 'dev');
  if (!words.includes('proxy') || !dev || !isAddress(words[0] ?? '')) return undefined;
  return { ip: words[0], dev };
}
