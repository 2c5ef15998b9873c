/**
 * Parsers for what iproute2 6.1 prints: `ip -o -4 monitor neigh link`,
 * `ip -4 neigh show` and `ip -4 route show table N`. Node has no netlink socket, so
 * these lines are the agent's view of the kernel.
 */

/** States in which a neighbor is considered alive and gets a /32. */
export const LIVE_STATES: ReadonlySet<string> = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT']);

export interface NeighborEvent {
  kind: 'neigh';
  ip: string;
  dev: string;
  mac?: string;
  state: string;
  deleted: boolean;
}

export interface LinkEvent {
  kind: 'link';
  dev: string;
  /** admin up and carrier present */
  up: boolean;
  deleted: boolean;
}

export interface KernelRoute {
  ip: string;
  dev?: string;
  proto?: string;
}

const STATE_WORDS = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT', 'FAILED', 'INCOMPLETE', 'NOARP', 'NONE']);
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * `10.0.0.5 dev swp1 lladdr aa:bb:cc:dd:ee:ff REACHABLE`, optionally prefixed by
 * `Deleted `; proxy entries and anything without a device are not neighbors.
 */
export function parseNeighborLine(line: string): NeighborEvent | undefined {
  const words = line.trim().split(/\s+/);
  const deleted = words[0] === 'Deleted';
  if (deleted) words.shift();
  const ip = words[0];
  if (!ip || !IPV4.test(ip) || words.includes('proxy')) return undefined;
  const dev = valueAfter(words, 'dev');
  if (!dev) return undefined;
  const mac = valueAfter(words, 'lladdr');
  const state = words.find((w) => STATE_WORDS.has(w)) ?? 'NONE';
  return { kind: 'neigh', ip, dev, mac, state, deleted };
}

/** `2: swp1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ...` (one line with `ip -o`). */
export function parseLinkLine(line: string): LinkEvent | undefined {
  const m = /^(Deleted\s+)?\d+:\s+([^:@\s]+)(@[^:\s]+)?:\s+<([^>]*)>/.exec(line.trim());
  if (!m) return undefined;
  const flags = m[4].split(',');
  const up = flags.includes('UP') && !flags.includes('NO-CARRIER');
  return { kind: 'link', dev: m[2], up: up && !m[1], deleted: Boolean(m[1]) };
}

export function parseMonitorLine(line: string): NeighborEvent | LinkEvent | undefined {
  return parseNeighborLine(line) ?? parseLinkLine(line);
}

/** `10.0.0.5 dev swp1 proto 72 scope link`; only host routes matter to the agent. */
export function parseRouteLine(line: string): KernelRoute | undefined {
  const words = line.trim().split(/\s+/);
  const dst = words[0] ?? '';
  const ip = dst.endsWith('/32') ? dst.slice(0, -3) : dst;
  if (!IPV4.test(ip)) return undefined;
  return { ip, dev: valueAfter(words, 'dev'), proto: valueAfter(words, 'proto') };
}

function valueAfter(words: string[], key: string): string | undefined {
  const i = words.indexOf(key);
  return i >= 0 ? words[i + 1] : undefined;
}
