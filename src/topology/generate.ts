/**
 * generate(): a valid topology of any size and shape, in the same format as topology.yaml.
 * Addresses are handed out per rack in order (containers from .11 up, servers from the top
 * of the subnet down, both stepping over the gateway), so a /24 holds the original demo and
 * larger sizes get a larger subnet.
 */
import { Document } from 'yaml';
import { quote, TopologyError, UsageError } from '../errors.js';
import { loadTopology } from './index.js';
import { formatCidr, formatCidr6, formatIpv4, groupsFor, inCidr, overlaps6, parseCidr, parseCidr6, parseIpv4, specialPrefix6, type Cidr, type Cidr6 } from './ip.js';

export interface GenerateOptions {
  spines: number;
  leaves: number;
  /** one count for every leaf, or one per leaf (0: a leaf without servers) */
  serversPerLeaf: number | number[];
  /** one count for every server, or one per server in order (0: a server without containers) */
  containersPerServer: number | number[];
  subnet?: string; // default: 172.16.0.0 with the smallest prefix that fits (at most /24)
  /** default: the subnet's first address */
  gateway?: string;
  name?: string;
  mgmtSubnet?: string;
  /** every spine's ASN (default 65000) */
  spineAsn?: number;
  /** the first leaf's ASN, the others count up (default 65001, or 4200000001 past 499 leaves) */
  leafAsn?: number;
  /** the servers' uplink interface (default eth1) */
  uplink?: string;
  keepalive?: number;
  holdtime?: number;
  routeTable?: number;
  /** the last container of each server gets its own `image:` line */
  containerImage?: string;
  /** dual stack: the shared IPv6 prefix (every IPv6 address is derived from it) */
  ipv6Prefix?: string;
  /** dual stack: where the switches' IPv6 loopbacks come from (default: the prefix's /64 with its fourth group ffff) */
  ipv6Loopbacks?: string;
}

const pad = (n: number, total: number) => String(n).padStart(Math.max(2, String(total).length), '0');

export function requiredPrefix(hosts: number): number {
  // network, gateway, .2-.10 kept free, broadcast
  let prefix = 24;
  while (prefix > 8 && 2 ** (32 - prefix) < hosts + 12) prefix--;
  return prefix;
}

/** A count given once for all, or once per item. */
function perItem(flag: string, value: number | number[], items: number): number[] {
  if (!Array.isArray(value)) return Array.from({ length: items }, () => value);
  if (value.length !== items) {
    throw new UsageError(`--${flag}: ${value.length} counts given for ${items} ${flag === 'servers-per-leaf' ? 'leaves' : 'servers'}; give one number, or one per item`);
  }
  return value;
}

export function generateTopology(o: GenerateOptions): string {
  const counts = nodeCounts(o);
  const addresses = addressing(o, counts.hosts);
  const mgmt = o.mgmtSubnet ?? formatCidr(defaultMgmtSubnet(o.spines + o.leaves + counts.servers)!);
  if (o.spines + o.leaves > 250 * 250) throw new UsageError('too many switches');
  const names = nodeNames(o, counts.servers);
  const out = [
    ...headerLines(o, addresses, mgmt),
    ...switchLines(o, names),
    '',
    ...serverLines(o, counts, addresses, names),
    '',
    ...linkLines(o, names),
  ];
  const text = `${out.join('\n')}\n`;
  refuseInvalid(text);
  return text;
}

/**
 * What the flags made, checked as `validate` checks a file: a topology that would not load (a
 * name the lab cannot use, an uplink Linux cannot name, overlapping ASNs...) is refused, saying
 * why in the validator's words, and never written.
 */
function refuseInvalid(text: string): void {
  try {
    loadTopology('generated.yaml', text);
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    const [first, ...rest] = e.problems;
    const more = rest.length ? ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})` : '';
    throw new UsageError(`these flags give a topology that does not validate: ${first.message}${first.hint ? ` (hint: ${first.hint})` : ''}${more}`);
  }
}

interface NodeCounts {
  perLeaf: number[];
  perServer: number[];
  servers: number;
  /** servers and containers: the addresses the subnet must hold */
  hosts: number;
}

function nodeCounts(o: GenerateOptions): NodeCounts {
  const perLeaf = perItem('servers-per-leaf', o.serversPerLeaf, o.leaves);
  const servers = perLeaf.reduce((a, b) => a + b, 0);
  const perServer = perItem('containers-per-server', o.containersPerServer, servers);
  return { perLeaf, perServer, servers, hosts: servers + perServer.reduce((a, b) => a + b, 0) };
}

interface Addressing {
  subnet: Cidr;
  gateway: number;
  /** the first container address */
  first: number;
}

/** The subnet (given, or the smallest that fits), its gateway, and room for every host. */
function addressing(o: GenerateOptions, hosts: number): Addressing {
  const subnet = o.subnet === undefined ? networkOf('172.16.0.0', requiredPrefix(hosts)) : parseCidr(o.subnet);
  if (!subnet) throw new UsageError(`--subnet ${quote(o.subnet)}: not an IPv4 network in CIDR form (e.g. 172.16.1.0/24, host bits zero)`);
  const gateway = o.gateway === undefined ? subnet.network + 1 : parseIpv4(o.gateway);
  if (gateway === null || !inCidr(gateway, subnet) || gateway === subnet.network || gateway === subnet.broadcast) {
    throw new UsageError(`--gateway ${quote(o.gateway)}: not a host address of ${formatCidr(subnet)}`);
  }
  // containers start at .11 (below: the gateway's usual place and room for the operator)
  const first = subnet.network + Math.min(11, Math.max(1, (subnet.broadcast - subnet.network) >> 1));
  const capacity = subnet.broadcast - first - (gateway >= first && gateway <= subnet.broadcast - 1 ? 1 : 0);
  if (capacity < hosts) throw new UsageError(`--subnet ${quote(o.subnet ?? formatCidr(subnet))}: ${Math.max(0, capacity)} usable addresses, ${hosts} needed`);
  return { subnet, gateway, first };
}

/** Nodes take .10 onwards; the network address must have its host bits clear at any size. */
function defaultMgmtSubnet(nodes: number): Cidr | null {
  return networkOf('192.168.200.0', Math.min(24, 32 - Math.ceil(Math.log2(nodes + 12))));
}

interface NodeNames {
  spine(i: number): string;
  leaf(i: number): string;
  server(i: number): string;
}

/** spine01, leaf01, server001: numbers padded to the widest of their kind. */
function nodeNames(o: GenerateOptions, servers: number): NodeNames {
  return {
    spine: (i) => `spine${pad(i + 1, o.spines)}`,
    leaf: (i) => `leaf${pad(i + 1, o.leaves)}`,
    server: (i) => `server${pad(i + 1, servers)}`,
  };
}

function headerLines(o: GenerateOptions, { subnet, gateway }: Addressing, mgmt: string): string[] {
  const rn = { ...timers(o), route_table: o.routeTable ?? 10 };
  const list = (v: number | number[]) => (Array.isArray(v) ? v.join(',') : String(v));
  return [
    '# yaml-language-server: $schema=./schema/topology.schema.json',
    `# generated: cldemo generate --spines ${o.spines} --leaves ${o.leaves} --servers-per-leaf ${list(o.serversPerLeaf)} --containers-per-server ${list(o.containersPerServer)}`,
    // values reach YAML through the yaml library: a name with a newline cannot add a key
    `name: ${yamlValue(o.name ?? 'cldemo')}`,
    'provider: lab',
    '',
    `subnet: ${formatCidr(subnet)}`,
    `gateway: ${formatIpv4(gateway)}`,
    ...ipv6Lines(o, subnet),
    '',
    `redistribute_neighbor: { keepalive: ${rn.keepalive}, holdtime: ${rn.holdtime}, route_table: ${rn.route_table} }`,
    `lab: { mgmt_subnet: ${yamlValue(mgmt)} }`,
    '',
  ];
}

/**
 * The agent's timers: a holdtime left out follows the keepalive (three of them, as the default
 * pair 1 and 3), so `--keepalive 5` alone writes a valid topology; one given below that is refused.
 */
function timers(o: GenerateOptions): { keepalive: number; holdtime: number } {
  const keepalive = o.keepalive ?? 1;
  const holdtime = o.holdtime ?? 3 * keepalive;
  if (holdtime < 3 * keepalive) {
    const flag = o.keepalive === undefined ? `the default keepalive ${keepalive}` : `--keepalive ${keepalive}`;
    throw new UsageError(`--holdtime ${holdtime} is less than 3 x ${flag} (${3 * keepalive}): a neighbor must miss three keepalives before it is dropped`);
  }
  return { keepalive, holdtime };
}

/** Dual stack: the prefix and the loopbacks' prefix; every address is derived from them. */
function ipv6Lines(o: GenerateOptions, subnet: Cidr): string[] {
  if (o.ipv6Prefix === undefined) {
    if (o.ipv6Loopbacks !== undefined) throw new UsageError('--ipv6-loopbacks needs --ipv6-prefix');
    return [];
  }
  // the rule writes each IPv4 octet the subnet leaves free as a group: the prefix must leave room for them
  const prefix = ipv6Flag('ipv6-prefix', o.ipv6Prefix, 64, 128 - 16 * groupsFor(subnet.prefix));
  const loopbacks = o.ipv6Loopbacks === undefined ? defaultLoopbacks(prefix) : ipv6Flag('ipv6-loopbacks', o.ipv6Loopbacks, 0, 64);
  if (overlaps6(prefix, loopbacks)) throw new UsageError(`--ipv6-loopbacks ${formatCidr6(loopbacks)} overlaps --ipv6-prefix ${formatCidr6(prefix)}`);
  return [`ipv6: { prefix: ${formatCidr6(prefix)}, loopbacks: ${formatCidr6(loopbacks)} }`];
}

/** A prefix flag: CIDR form, host bits zero, ordinary unicast, a length in [min, max] (max: room to derive every address). */
function ipv6Flag(flag: string, value: string, min: number, max: number): Cidr6 {
  const c = parseCidr6(value);
  if (!c) throw new UsageError(`--${flag} ${quote(value)}: not an IPv6 prefix in CIDR form with host bits zero (e.g. 2001:db8:1::/64)`);
  const special = specialPrefix6(c);
  if (special) throw new UsageError(`--${flag} ${formatCidr6(c)} is ${special}`);
  if (c.prefix < min || c.prefix > max) throw new UsageError(`--${flag} ${formatCidr6(c)}: use a /${min} to /${max}`);
  return c;
}

/** The prefix's /64 with its fourth group ffff (fffe when it already is): apart from the containers' prefix. */
function defaultLoopbacks(prefix: Cidr6): Cidr6 {
  const top = prefix.network >> 64n;
  const group4 = (top & 0xffffn) === 0xffffn ? 0xfffen : 0xffffn;
  const network = (((top >> 16n) << 16n) | group4) << 64n;
  return { network, prefix: 64, last: network | ((1n << 64n) - 1n) };
}

function switchLines(o: GenerateOptions, names: NodeNames): string[] {
  const firstLeafAsn = o.leafAsn ?? (o.leaves <= 499 ? 65001 : 4200000001);
  const loopback = (block: number, i: number) => `10.0.${block + Math.floor(i / 250)}.${(i % 250) + 1}`;
  const out = ['switches:'];
  for (let s = 0; s < o.spines; s++) out.push(`  ${names.spine(s)}: { role: spine, asn: ${o.spineAsn ?? 65000}, loopback: ${loopback(1, s)} }`);
  for (let l = 0; l < o.leaves; l++) out.push(`  ${names.leaf(l)}: { role: leaf, asn: ${firstLeafAsn + l}, loopback: ${loopback(100, l)} }`);
  return out;
}

/** Each leaf's servers on its swp1 up; containers count up from the first address, servers down from the top. */
function serverLines(o: GenerateOptions, { perLeaf, perServer, servers }: NodeCounts, { subnet, gateway, first }: Addressing, names: NodeNames): string[] {
  const containerAddress = addressCounter(first, 1, gateway);
  const serverAddress = addressCounter(subnet.broadcast - 1, -1, gateway);
  const uplink = o.uplink ?? 'eth1';
  const out = [servers ? 'servers:' : 'servers: {}'];
  let idx = 0;
  for (let l = 0; l < o.leaves; l++) {
    for (let k = 0; k < perLeaf[l]; k++, idx++) {
      const ips = Array.from({ length: perServer[idx] }, () => formatIpv4(containerAddress()));
      const items = ips.map((ip, i) => (o.containerImage && i === ips.length - 1 ? `{ ip: ${ip}, image: ${yamlValue(o.containerImage)} }` : ip));
      out.push(`  ${names.server(idx)}:`);
      out.push(`    uplink: { interface: ${yamlValue(uplink)}, address: ${formatIpv4(serverAddress())}, leaf: ${names.leaf(l)}, port: swp${k + 1} }`);
      out.push(`    containers: [${items.join(', ')}]`);
    }
  }
  return out;
}

/** Hands out addresses from `start`, one `step` at a time, stepping over `skip` (the gateway). */
function addressCounter(start: number, step: 1 | -1, skip: number): () => number {
  let next = start;
  return () => {
    if (next === skip) next += step;
    const address = next;
    next += step;
    return address;
  };
}

/** Every spine to every leaf: spine s on the leaf's swp51+s, leaf l on the spine's swp1+l. */
function linkLines(o: GenerateOptions, names: NodeNames): string[] {
  const out = ['links:'];
  for (let s = 0; s < o.spines; s++) {
    for (let l = 0; l < o.leaves; l++) out.push(`  - [${names.spine(s)}:swp${l + 1}, ${names.leaf(l)}:swp${51 + s}]`);
  }
  return out;
}

function networkOf(address: string, prefix: number): Cidr | null {
  const c = parseCidr(`${address}/${prefix}`, false);
  return c && parseCidr(formatCidr(c));
}

/** One scalar as YAML writes it (quoted when it needs to be), on one line. */
function yamlValue(v: string): string {
  return new Document(v).toString({ lineWidth: 0, blockQuote: false }).trimEnd();
}
