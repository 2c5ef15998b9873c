/**
 * /etc/rdnbrd.conf, read the way Cumulus Linux writes it: `key = value` lines and
 * `#` comments, Python-style booleans. A Cumulus file must load unchanged, so every
 * Cumulus key is accepted; `exclude_interfaces`, `expected_neighbors` and `ipv6_route_table`
 * are our additions.
 */
import { readFileSync } from 'node:fs';
import { canonicalIp, isIgnoredAddress } from './address.js';

export const LOG_LEVELS = ['CRITICAL', 'ERROR', 'WARNING', 'INFO', 'DEBUG'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RdnbrdConfig {
  loglevel: LogLevel;
  /** seconds between two unicast ARP requests to the same neighbor */
  keepalive: number;
  /** seconds without an answer before a neighbor is withdrawn; at least 3 x keepalive */
  holdtime: number;
  /** kernel table the /32s go to (FRR imports it with `ip import-table`) */
  route_table: number;
  /**
   * kernel table the /128s go to: main (254) by default, since FRR before 10 has no
   * `ipv6 import-table` and sees a /128 only as a kernel route of the main table
   */
  ipv6_route_table: number;
  unicast_arp_requests: boolean;
  /** interfaces whose neighbor events and probes are logged at INFO */
  debug_arp: string[];
  /** never produce routes for neighbors on these (the management interface); lo always */
  exclude_interfaces: string[];
  /**
   * Addresses the topology puts behind each port (IPv4 and IPv6, canonical). While one has no
   * live neighbor entry the agent asks the kernel to resolve it (a broadcast ARP request, a
   * multicast neighbor solicitation), so a host that starts by any route is learned within
   * about a second; its route still waits for its reply.
   */
  expected_neighbors: ExpectedNeighbor[];
  /** set when holdtime was raised to 3 x keepalive, so the agent can say so */
  holdtimeRaisedFrom?: number;
}

interface ExpectedNeighbor {
  ip: string;
  dev: string;
}

export const DEFAULT_CONFIG: RdnbrdConfig = {
  loglevel: 'INFO',
  keepalive: 1,
  holdtime: 3,
  route_table: 10,
  ipv6_route_table: 254,
  unicast_arp_requests: true,
  debug_arp: [],
  exclude_interfaces: ['eth0'],
  expected_neighbors: [],
};

/** Bad config file: every problem at once, each as `file:line: message`. Exit 2. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** A value from the file as a message echoes it: cut to 80 characters. */
function shown(value: string): string {
  return value.length > 80 ? `"${value.slice(0, 80)}"... (${value.length} characters)` : `"${value}"`;
}

type Setter = (cfg: RdnbrdConfig, value: string) => string | undefined;

function positiveNumber(key: 'keepalive' | 'holdtime'): Setter {
  return (cfg, value) => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0)) return `${key} must be a positive number of seconds, got ${shown(value)}`;
    cfg[key] = n;
    return undefined;
  };
}

function interfaceList(key: 'debug_arp' | 'exclude_interfaces'): Setter {
  return (cfg, value) => {
    cfg[key] = value.split(/[\s,]+/).filter((s) => s.length > 0);
    return undefined;
  };
}

/** Names reach `ip` command lines: only what Linux allows in an interface name. */
const INTERFACE_NAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,15}$/;
const MAX_EXPECTED = 65536;

/** `swp1:172.16.1.11,2001:db8:1::11 swp2:172.16.1.21`: each port and the addresses behind it. */
const expectedNeighbors: Setter = (cfg, value) => {
  const found: ExpectedNeighbor[] = [];
  const portOf = new Map<string, string>();
  for (const group of value.split(/\s+/).filter((s) => s.length > 0)) {
    const colon = group.indexOf(':');
    const dev = group.slice(0, colon);
    if (colon < 0 || !INTERFACE_NAME.test(dev)) return `expected_neighbors wants "PORT:IP,IP ...", got ${shown(group)}`;
    for (const text of group.slice(colon + 1).split(',')) {
      const ip = canonicalIp(text);
      if (!ip) return `expected_neighbors: ${shown(text)} on ${dev} is not an IPv4 or IPv6 address`;
      if (isIgnoredAddress(ip)) return `expected_neighbors: ${ip} on ${dev} is ${specialKind(ip)}, never routed`;
      const other = portOf.get(ip);
      if (other) return `expected_neighbors: ${ip} is listed on ${other}${other === dev ? ' twice' : ` and on ${dev}`}`;
      portOf.set(ip, dev);
      found.push({ ip, dev });
    }
  }
  if (found.length > MAX_EXPECTED) return `expected_neighbors lists ${found.length} addresses, at most ${MAX_EXPECTED}`;
  cfg.expected_neighbors = found;
  return undefined;
};

function specialKind(ip: string): string {
  if (/^fe[89ab]/.test(ip)) return 'link-local';
  if (ip.startsWith('ff')) return 'multicast';
  if (ip.startsWith('::ffff:')) return 'IPv4-mapped';
  if (ip.startsWith('169.254.')) return 'link-local';
  return 'unspecified or loopback';
}

/** A kernel table number; `main` (254) too where `allowMain`. */
function tableNumber(key: 'route_table' | 'ipv6_route_table', allowMain: boolean): Setter {
  return (cfg, value) => {
    const n = Number(value);
    if (allowMain && (value === 'main' || value === '254')) cfg[key] = 254;
    else if (/^\d+$/.test(value) && n >= 2 && n <= 252) cfg[key] = n;
    else return `${key} must be an integer from 2 to 252${allowMain ? ' or main' : ''}, got ${shown(value)}`;
    return undefined;
  };
}

// a Map, not an object: a key such as `__proto__` or `constructor` must be an unknown key
const SETTERS: ReadonlyMap<string, Setter> = new Map(Object.entries({
  loglevel(cfg, value) {
    const level = value.toUpperCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) return `loglevel must be one of ${LOG_LEVELS.join(', ')}, got ${shown(value)}`;
    cfg.loglevel = level as LogLevel;
    return undefined;
  },
  keepalive: positiveNumber('keepalive'),
  holdtime: positiveNumber('holdtime'),
  route_table: tableNumber('route_table', false),
  ipv6_route_table: tableNumber('ipv6_route_table', true),
  unicast_arp_requests(cfg, value) {
    const v = value.toLowerCase();
    if (v === 'true' || v === 'yes' || v === '1') cfg.unicast_arp_requests = true;
    else if (v === 'false' || v === 'no' || v === '0') cfg.unicast_arp_requests = false;
    else return `unicast_arp_requests must be True or False, got ${shown(value)}`;
    return undefined;
  },
  debug_arp: interfaceList('debug_arp'),
  exclude_interfaces: interfaceList('exclude_interfaces'),
  expected_neighbors: expectedNeighbors,
} satisfies Record<string, Setter>));

export function parseConfig(text: string, file: string): RdnbrdConfig {
  const cfg: RdnbrdConfig = { ...DEFAULT_CONFIG, debug_arp: [], exclude_interfaces: [...DEFAULT_CONFIG.exclude_interfaces], expected_neighbors: [] };
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = `${file}:${i + 1}`;
    const eq = line.indexOf('=');
    if (eq < 0) {
      problems.push(`${where}: expected "key = value", got ${shown(line)}`);
      return;
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const setter = SETTERS.get(key);
    if (!setter) {
      problems.push(`${where}: unknown key ${shown(key)} (known keys: ${[...SETTERS.keys()].join(', ')})`);
      return;
    }
    const problem = setter(cfg, value);
    if (problem) problems.push(`${where}: ${problem}`);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return withHoldtimeFloor(cfg);
}

/** Cumulus raises holdtime to 3 x keepalive so one lost reply never withdraws a host. */
function withHoldtimeFloor(cfg: RdnbrdConfig): RdnbrdConfig {
  const floor = 3 * cfg.keepalive;
  // 3 x 0.1 is 0.30000000000000004 in floating point: holdtime 0.3 is 3 x keepalive 0.1
  if (cfg.holdtime >= floor - 1e-9) return cfg;
  return { ...cfg, holdtimeRaisedFrom: cfg.holdtime, holdtime: floor };
}

export function loadConfig(file: string): RdnbrdConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read config file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseConfig(text, file);
}
