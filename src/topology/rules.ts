/**
 * Cross-field rules: each small function looks at one concern and reports every problem it
 * finds; runRules gathers them all so the user fixes the file in one pass.
 */
import { quote, type Problem } from '../errors.js';
import { labSwitchPlatforms } from '../platforms/index.js';
import { formatIpv4, inCidr, parseCidr, parseIpv4, specialRange, type Cidr } from './ip.js';
import { describeChar, firstOutside } from './chars.js';
import { IMPAIR_KEYS, impairmentProblems, parseImpairValue, type Impairment } from './impair.js';
import { judgeHost, hostPort } from './host.js';
import { judgeJump } from './jump.js';
import { ipv6Rule } from './rules-ipv6.js';
import { problemAt, type Path, type Source } from './load.js';
import { LAB_FIRST_NODE_HOST, type RawTopology } from './schema.js';

export interface RuleContext {
  report(path: Path, message: string, hint?: string, key?: boolean): void;
}
export type Rule = (t: RawTopology, ctx: RuleContext) => void;

/** Linux interface names: these reach shells and `ip` commands. No '.': see checkInterfaceName. */
const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,14}$/;
/** Names the kernel or the lab already gives a meaning; never a fabric, server or uplink port. */
const RESERVED_IFNAMES: ReadonlyMap<string, string> = new Map([
  ['eth0', 'the management port'],
  ['lo', 'the loopback'],
  ['all', "the kernel's name for every interface (net.ipv4.conf.all)"],
  ['default', "the kernel's name for new interfaces (net.ipv4.conf.default)"],
]);
/** Node names become hostnames, namespace names and container names. */
const NODENAME = /^[a-z][a-z0-9-]{0,30}$/;
export const TOPONAME = /^[a-z][a-z0-9-]{0,11}$/;
/** Docker's reference grammar: [host[:port]/]component(/component)*[:tag]; no '..', no empty parts. */
const IMAGE_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
// a first part is a registry only with a '.', a port or as localhost (as docker reads it)
const IMAGE_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const IMAGE_REGISTRY = `(?:${IMAGE_LABEL}(?:\\.${IMAGE_LABEL})+(?::\\d{1,5})?|${IMAGE_LABEL}:\\d{1,5}|localhost)`;
const IMAGE = new RegExp(`^(?:${IMAGE_REGISTRY}/)?${IMAGE_COMPONENT}(?:/${IMAGE_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$`);

/** A node name as a message prefix: plain when it is a valid name, quoted and cut otherwise. */
export function nodeLabel(n: string): string {
  return NODENAME.test(n) ? n : quote(n);
}

/** For a name that matches nothing: the first character outside printable ASCII, which may be why (`leaf\u03bf2`). */
function oddChar(name: string): string {
  const odd = firstOutside(name, /^[\x20-\x7e]$/);
  return odd ? ` (its character ${odd.at} is ${describeChar(odd.ch)})` : '';
}

/** A list of names for a hint: the first few, so a thousand switches do not fill the screen. */
function someNames(names: string[], max = 8): string {
  const shown = names.slice(0, max).map(nodeLabel).join(', ');
  return names.length > max ? `${shown}, ... (${names.length} in all)` : shown;
}

export function checkInterfaceName(name: string): string | null {
  if (name.length > 15) return `interface name ${quote(name)} is longer than 15 characters`;
  const reserved = RESERVED_IFNAMES.get(name);
  if (reserved) return `interface name '${name}' is reserved: it is ${reserved}`;
  // `swp1.100` would render sysctl keys like net.ipv4.conf.swp1.100.proxy_arp, which sysctl reads as conf/swp1/100
  if (/^[A-Za-z0-9][A-Za-z0-9_-]*\.\d+$/.test(name)) return `interface name '${name}' is a VLAN sub-interface, which cldemo does not support`;
  const bad = firstOutside(name, /^[A-Za-z0-9_-]$/);
  if (bad) return `interface name ${quote(name)}: ${describeChar(bad.ch)} at character ${bad.at} is not a letter, digit, '_' or '-'`;
  if (!IFNAME.test(name)) return name === '' ? 'interface name is empty' : `interface name ${quote(name)} starts with ${describeChar(name[0])}, not a letter or digit`;
  return null;
}

export function parseEndpoint(s: string): { node: string; port: string } | null {
  const m = /^([^:\s]+):([^:\s]+)$/.exec(s);
  return m ? { node: m[1], port: m[2] } : null;
}

export function linkEndpoints(l: RawTopology['links'][number]): [string, string] {
  return Array.isArray(l) ? l : l.endpoints;
}

/** Why a name is not a-z, 0-9 and '-' starting with a letter, at most `max` characters: the first character at fault, named. */
function nameFault(name: string, max: number): string {
  const bad = firstOutside(name, /^[a-z0-9-]$/);
  if (bad) return `${describeChar(bad.ch)} at character ${bad.at} is ${/^[A-Z]$/.test(bad.ch) ? 'uppercase' : "not a lowercase letter, digit or '-'"}`;
  if (name === '') return 'it is empty';
  if (!/^[a-z]/.test(name)) return `it starts with ${describeChar(name[0])}, not a letter`;
  return `it is ${name.length} characters long, more than ${max}`;
}

const names: Rule = (t, ctx) => {
  if (!TOPONAME.test(t.name)) {
    const hint = 'lowercase letters, digits and -, at most 12 characters (it names namespaces and labels)';
    ctx.report(['name'], `topology name ${quote(t.name)} is not valid: ${nameFault(t.name, 12)}`, hint);
  }
  for (const [kind, map] of [['switches', t.switches], ['servers', t.servers]] as const) {
    for (const n of Object.keys(map)) {
      if (!NODENAME.test(n)) {
        ctx.report([kind, n], `node name ${quote(n)} is not valid: ${nameFault(n, 31)}`, 'lowercase letters, digits and -, starting with a letter, at most 31 characters', true);
      }
    }
  }
  for (const n of Object.keys(t.servers)) {
    if (Object.hasOwn(t.switches, n)) ctx.report(['servers', n], `node name ${quote(n)} is used by a switch and a server`, 'node names must be unique', true);
  }
  if (Object.keys(t.switches).length === 0) ctx.report(['switches'], 'switches: at least one switch is needed');
};

function subnetOf(t: RawTopology): Cidr | null {
  return parseCidr(t.subnet);
}

const subnet: Rule = (t, ctx) => {
  const c = subnetOf(t);
  if (!c) {
    ctx.report(['subnet'], `subnet ${quote(t.subnet)} is not an IPv4 network in CIDR form`, 'e.g. 172.16.1.0/24, host bits zero');
    return;
  }
  if (c.prefix < 8 || c.prefix > 30) ctx.report(['subnet'], `subnet ${quote(t.subnet)} must have a prefix length from /8 to /30`);
  else {
    const special = specialRange(c.network) ?? specialRange(c.broadcast);
    if (special) ctx.report(['subnet'], `subnet ${t.subnet} is ${special}`, 'containers need unicast addresses, e.g. 172.16.1.0/24');
  }
  const gw = parseIpv4(t.gateway);
  if (gw === null) ctx.report(['gateway'], `gateway ${quote(t.gateway)} is not an IPv4 address`);
  else if (!inCidr(gw, c) || gw === c.network || gw === c.broadcast) ctx.report(['gateway'], `gateway ${t.gateway} is not a host address in subnet ${t.subnet}`);
};

/** AS numbers no BGP speaker may use as its own. */
const RESERVED_ASNS: ReadonlyMap<number, string> = new Map([
  [0, 'is reserved (RFC 7607: never a speaker\'s own AS)'],
  [23456, 'is AS_TRANS (RFC 6793: it stands in for 4-byte AS numbers on old sessions)'],
  [65535, 'is reserved (RFC 7300: the last 2-byte AS number)'],
  [4294967295, 'is reserved (RFC 7300: the last 4-byte AS number)'],
]);

const asns: Rule = (t, ctx) => {
  const leafAsn = new Map<number, string>();
  const spineAsns = new Set<number>();
  for (const s of Object.values(t.switches)) if (s.role === 'spine') spineAsns.add(s.asn);
  for (const [n, s] of Object.entries(t.switches)) {
    const bad = s.asn < 0 || s.asn > 4294967295 ? 'is not an AS number (0-4294967295)' : RESERVED_ASNS.get(s.asn);
    if (bad) {
      ctx.report(['switches', n, 'asn'], `${nodeLabel(n)}: ASN ${s.asn} ${bad}`, 'use 1-4294967294, not 23456 or 65535 (private: 64512-65534, 4200000000-4294967294)');
      continue;
    }
    if (s.role !== 'leaf') continue;
    const other = leafAsn.get(s.asn);
    if (other) ctx.report(['switches', n, 'asn'], `${nodeLabel(n)}: ASN ${s.asn} is already used by leaf ${nodeLabel(other)}`, 'every leaf needs its own ASN');
    else leafAsn.set(s.asn, n);
    if (spineAsns.has(s.asn)) ctx.report(['switches', n, 'asn'], `${nodeLabel(n)}: ASN ${s.asn} is a spine's ASN`, 'leaves and spines peer over eBGP: use different ASNs');
  }
};

const loopbacks: Rule = (t, ctx) => {
  const seen = new Map<string, string>();
  const c = subnetOf(t);
  for (const [n, s] of Object.entries(t.switches)) {
    const ip = parseIpv4(s.loopback);
    const path: Path = ['switches', n, 'loopback'];
    if (ip === null) {
      ctx.report(path, `${nodeLabel(n)}: loopback ${quote(s.loopback)} is not an IPv4 address`, 'give the bare address, e.g. 10.0.0.11');
      continue;
    }
    const special = specialRange(ip);
    if (special) {
      ctx.report(path, `${nodeLabel(n)}: loopback ${s.loopback} is ${special}`, 'the loopback is the BGP router-id and must be a unicast address, e.g. 10.0.0.11');
      continue;
    }
    const other = seen.get(s.loopback);
    if (other) ctx.report(path, `${nodeLabel(n)}: loopback ${s.loopback} is already used by ${nodeLabel(other)}`);
    seen.set(s.loopback, n);
    if (c && inCidr(ip, c)) ctx.report(path, `${nodeLabel(n)}: loopback ${s.loopback} is inside the container subnet ${t.subnet}`);
  }
};

/** Every port of every node: fabric links and server uplinks; a port is used once. */
const links: Rule = (t, ctx) => {
  const c: CablingCheck = { t, ctx, use: portLedger(ctx), switchNames: Object.keys(t.switches) };
  t.links.forEach((l, i) => checkLink(c, l, i));
  for (const [n, s] of Object.entries(t.servers)) checkUplink(c, n, s.uplink);
};

/** What the cabling checks share: the ports used so far, and the switch names for hints. */
interface CablingCheck {
  t: RawTopology;
  ctx: RuleContext;
  use: (node: string, port: string, path: Path, what: string) => void;
  switchNames: string[];
}

/** Records each port's first user, and reports any second one. */
function portLedger(ctx: RuleContext): CablingCheck['use'] {
  const used = new Map<string, string>();
  return (node, port, path, what) => {
    const key = `${node}:${port}`;
    const prev = used.get(key);
    if (prev) ctx.report(path, `port ${key} is used twice (${prev} and ${what})`, 'each port can be cabled once');
    else used.set(key, what);
  };
}

function checkLink(c: CablingCheck, l: RawTopology['links'][number], i: number): void {
  const ends = linkEndpoints(l);
  const base: Path = Array.isArray(l) ? ['links', i] : ['links', i, 'endpoints'];
  const parsed = ends.map((e, j) => {
    const ep = parseEndpoint(e);
    if (!ep) c.ctx.report([...base, j], `link endpoint ${quote(e)} is not 'node:port'`);
    return ep;
  });
  const valid = parsed.map((ep, j) => ep !== null && checkLinkEnd(c, ends, ep, [...base, j], j));
  const [a, b] = parsed;
  if (!a || !b) return;
  if (a.node === b.node) c.ctx.report(base, `link ${ends.join(' - ')} connects ${nodeLabel(a.node)} to itself`);
  else if (valid[0] && valid[1]) checkLinkAsns(c, ends, a.node, b.node, base);
}

/** One end of a link: an existing switch, a valid port name, a port not yet cabled. */
function checkLinkEnd(c: CablingCheck, ends: string[], ep: { node: string; port: string }, path: Path, j: number): boolean {
  const { t, ctx } = c;
  if (!Object.hasOwn(t.switches, ep.node) && Object.hasOwn(t.servers, ep.node)) {
    ctx.report(path, `link endpoint ${quote(ends[j])}: server ${nodeLabel(ep.node)} is cabled through servers.${nodeLabel(ep.node)}.uplink, not links`);
    return false;
  }
  if (!Object.hasOwn(t.switches, ep.node)) {
    ctx.report(path, `link endpoint ${quote(ends[j])} names node ${quote(ep.node)}, which does not exist${oddChar(ep.node)}`, `known switches: ${someNames(c.switchNames)}`);
    return false;
  }
  const bad = checkInterfaceName(ep.port);
  if (bad) ctx.report(path, `link endpoint ${quote(ends[j])}: ${bad}`);
  else c.use(ep.node, ep.port, path, `link ${ends.join(' - ')}`);
  return !bad;
}

function checkLinkAsns({ t, ctx }: CablingCheck, ends: string[], a: string, b: string, path: Path): void {
  const [sa, sb] = [t.switches[a], t.switches[b]];
  // a leaf with a spine's ASN is reported once, by the asns rule
  if (sa.asn === sb.asn && sa.role === sb.role) {
    ctx.report(path, `link ${ends.join(' - ')} connects ${a} and ${b}, which share ASN ${sa.asn}`, 'the fabric peers over eBGP: the two ends need different ASNs');
  }
}

/** A server's uplink: a valid interface, an existing leaf, a valid port not yet cabled. */
function checkUplink({ t, ctx, use, switchNames }: CablingCheck, n: string, up: RawTopology['servers'][string]['uplink']): void {
  const path: Path = ['servers', n, 'uplink'];
  const badIf = checkInterfaceName(up.interface);
  if (badIf) ctx.report([...path, 'interface'], `${nodeLabel(n)}: uplink ${badIf}`);
  const leaf = Object.hasOwn(t.switches, up.leaf) ? t.switches[up.leaf] : undefined;
  const leaves = () => {
    const known = switchNames.filter((s) => t.switches[s].role === 'leaf');
    return known.length ? `known leaves: ${someNames(known)}` : 'the topology has no leaf yet';
  };
  if (!leaf && Object.hasOwn(t.servers, up.leaf)) {
    ctx.report([...path, 'leaf'], `${nodeLabel(n)}: uplink leaf ${nodeLabel(up.leaf)} is a server, not a leaf`, `a server's uplink ends on a leaf switch; ${leaves()}`);
  }
  else if (!leaf) ctx.report([...path, 'leaf'], `${nodeLabel(n)}: uplink leaf ${quote(up.leaf)} does not exist${oddChar(up.leaf)}`, leaves());
  else if (leaf.role !== 'leaf') ctx.report([...path, 'leaf'], `${nodeLabel(n)}: uplink ends on ${up.leaf}, which is a ${leaf.role}, not a leaf`);
  const badPort = checkInterfaceName(up.port);
  if (badPort) ctx.report([...path, 'port'], `${nodeLabel(n)}: uplink port: ${badPort}`);
  else if (leaf) use(up.leaf, up.port, [...path, 'port'], `uplink of ${n}`);
}

/** The shape: at least one spine, every leaf cabled to a spine, every spine to a leaf. */
const fabric: Rule = (t, ctx) => {
  const spines = Object.keys(t.switches).filter((n) => t.switches[n].role === 'spine');
  if (spines.length === 0) {
    if (Object.keys(t.switches).length > 0) {
      ctx.report(['switches'], 'switches: there is no spine; every leaf needs a link to one', 'add a switch with role: spine and link every leaf to it');
    }
    return;
  }
  const toSpine = new Set<string>();
  const toLeaf = new Set<string>();
  for (const l of t.links) {
    const [a, b] = linkEndpoints(l).map(parseEndpoint);
    if (!a || !b || !Object.hasOwn(t.switches, a.node) || !Object.hasOwn(t.switches, b.node)) continue;
    for (const [x, y] of [[a.node, b.node], [b.node, a.node]]) {
      if (t.switches[x].role === 'leaf' && t.switches[y].role === 'spine') toSpine.add(x);
      if (t.switches[x].role === 'spine' && t.switches[y].role === 'leaf') toLeaf.add(x);
    }
  }
  const leaves = Object.keys(t.switches).filter((n) => t.switches[n].role === 'leaf');
  for (const n of leaves) {
    if (!toSpine.has(n)) {
      ctx.report(['switches', n], `${nodeLabel(n)}: leaf has no link to a spine`, `add a link such as [${nodeLabel(spines[0])}:swpN, ${nodeLabel(n)}:swpM]`, true);
    }
  }
  if (leaves.length === 0) return;
  for (const n of spines) {
    if (!toLeaf.has(n)) ctx.report(['switches', n], `${nodeLabel(n)}: spine has no link to a leaf`, 'link it to the leaves, or remove it', true);
  }
};

const mtus: Rule = (t, ctx) => {
  const check = (mtu: number | undefined, path: Path) => {
    if (mtu !== undefined && (mtu < 1280 || mtu > 9216)) ctx.report(path, `mtu ${mtu} is out of range`, 'use 1280-9216');
  };
  check(t.defaults.mtu, ['defaults', 'mtu']);
  t.links.forEach((l, i) => !Array.isArray(l) && check(l.mtu, ['links', i, 'mtu']));
  for (const [n, s] of Object.entries(t.servers)) check(s.uplink.mtu, ['servers', n, 'uplink', 'mtu']);
};

/** Server and container addresses: in the subnet, not special, unique fabric-wide. */
const addresses: Rule = (t, ctx) => {
  const c = subnetOf(t);
  const gw = parseIpv4(t.gateway);
  const owner = new Map<number, string>();
  const claim = (value: string, what: string, by: string, path: Path) => {
    const ip = parseIpv4(value);
    if (ip === null) return ctx.report(path, `${what} ${quote(value)} is not an IPv4 address`);
    if (!c) return;
    if (!inCidr(ip, c)) return ctx.report(path, `${what} ${value} is outside subnet ${t.subnet}`);
    if (ip === c.network) return ctx.report(path, `${what} ${value} is the network address of ${t.subnet}`);
    if (ip === c.broadcast) return ctx.report(path, `${what} ${value} is the broadcast address of ${t.subnet}`);
    if (ip === gw) return ctx.report(path, `${what} ${value} is the gateway address`, 'the gateway lives on the leaves');
    const prev = owner.get(ip);
    if (prev) return ctx.report(path, `${what} ${value} is already used by ${prev}`, 'addresses must be unique across the whole fabric');
    owner.set(ip, by);
  };
  for (const [n, s] of Object.entries(t.servers)) claim(s.uplink.address, `server ${nodeLabel(n)} address`, `server ${nodeLabel(n)}`, ['servers', n, 'uplink', 'address']);
  for (const [n, s] of Object.entries(t.servers)) {
    s.containers.forEach((ct, i) => {
      const str = typeof ct === 'string';
      const path: Path = str ? ['servers', n, 'containers', i] : ['servers', n, 'containers', i, 'ip'];
      claim(str ? ct : ct.ip, `${nodeLabel(n)}: container IP`, `a container on ${nodeLabel(n)}`, path);
    });
  }
};

const images: Rule = (t, ctx) => {
  const check = (img: string, path: Path) => {
    if (img.length > 255 || !IMAGE.test(img)) {
      ctx.report(path, `image ${quote(img)} is not a valid image reference`, 'e.g. cldemo/apache:latest (lowercase path parts separated by /, no empty or .. parts)');
    }
  };
  check(t.defaults.image, ['defaults', 'image']);
  for (const [n, s] of Object.entries(t.servers)) {
    s.containers.forEach((ct, i) => typeof ct !== 'string' && ct.image !== undefined && check(ct.image, ['servers', n, 'containers', i, 'image']));
  }
};

const redistributeNeighbor: Rule = (t, ctx) => {
  const r = t.redistribute_neighbor;
  // 3 x 0.1 is 0.30000000000000004 in floating point: holdtime 0.3 must pass
  if (r.holdtime < 3 * r.keepalive - 1e-9) {
    const message = `holdtime ${r.holdtime} is less than 3 x keepalive (${+(3 * r.keepalive).toFixed(6)})`;
    ctx.report(['redistribute_neighbor', 'holdtime'], message, 'a neighbor must miss three keepalives before it is dropped');
  }
  if (r.route_table < 2 || r.route_table > 252) {
    ctx.report(['redistribute_neighbor', 'route_table'], `route_table ${r.route_table} is out of range`, 'use 2-252 (253-255 are the kernel\'s default, main and local tables)');
  }
};

/** BGP's hold time under `frr defaults datacenter` (keepalive 3 s): what BFD must beat to be worth running. */
const BGP_HOLD_MS = 9000;

/** FRR's own ranges for the BFD profile and the graceful-restart timers; BFD faster than BGP. */
const bgpOptions: Rule = (t, ctx) => {
  const { bfd, graceful_restart: gr } = t.bgp;
  const inRange = (value: number, min: number, max: number, path: Path, what: string, hint: string): boolean => {
    const ok = value >= min && value <= max;
    if (!ok) ctx.report(path, `${what} ${value} is out of range`, hint);
    return ok;
  };
  if (typeof bfd === 'object') {
    const hint = "milliseconds between BFD packets: 10-60000 (FRR's range); 300 detects a dead neighbor in under a second at multiplier 3";
    const okInterval = inRange(bfd.interval, 10, 60000, ['bgp', 'bfd', 'interval'], 'bfd interval', hint);
    const okMultiplier = inRange(bfd.multiplier, 2, 255, ['bgp', 'bfd', 'multiplier'], 'bfd multiplier', 'packets missed before the session is down: 2-255');
    const detect = bfd.interval * bfd.multiplier;
    if (okInterval && okMultiplier && detect >= BGP_HOLD_MS) {
      const timers = `interval ${bfd.interval} ms x multiplier ${bfd.multiplier}`;
      const message = `bfd detects a dead neighbor after ${detect / 1000} s (${timers}), no sooner than BGP's own hold time (${BGP_HOLD_MS / 1000} s)`;
      ctx.report(['bgp', 'bfd'], message, 'BFD is there to be faster than BGP: keep interval x multiplier well under 9000 ms, e.g. 300 x 3');
    }
  }
  if (typeof gr === 'object') {
    const hint = "seconds: 1-4095 (FRR's range); it must cover a restart of FRR";
    inRange(gr.restart_time, 1, 4095, ['bgp', 'graceful_restart', 'restart_time'], 'graceful_restart restart_time', hint);
    inRange(gr.stalepath_time, 1, 4095, ['bgp', 'graceful_restart', 'stalepath_time'], 'graceful_restart stalepath_time', "seconds: 1-4095 (FRR's range)");
  }
};

const provider: Rule = (t, ctx) => (t.provider === 'lab' ? labPlatforms(t, ctx) : externalNodes(t, ctx));

/** One problem per place a platform the lab cannot run is set, naming every switch it affects. */
function labPlatforms(t: RawTopology, ctx: RuleContext): void {
  const byPath = new Map<string, string[]>();
  const runnable = labSwitchPlatforms();
  for (const [n, s] of Object.entries(t.switches)) {
    if (runnable.includes(s.platform ?? t.defaults.platform)) continue;
    const key = s.platform ? `switches\u0000${n}\u0000platform` : 'defaults\u0000platform';
    byPath.set(key, [...(byPath.get(key) ?? []), n]);
  }
  for (const [key, nodes] of byPath) {
    const platform = key === 'defaults\u0000platform' ? t.defaults.platform : t.switches[nodes[0]].platform;
    const hint = `the lab's switches are Debian + FRR: use platform ${runnable.join(' or ')}, or provider external`;
    ctx.report(key.split('\u0000'), `platform ${platform} cannot run in the local lab (${someNames(nodes)})`, hint);
  }
}

/** Provider external: every node has a reachable mgmt host of its own, and jumps are one hop. */
function externalNodes(t: RawTopology, ctx: RuleContext): void {
  const hosts = new Map<string, string>();
  for (const [kind, map] of [['switches', t.switches], ['servers', t.servers]] as const) {
    for (const [n, node] of Object.entries(map)) {
      if (!node.mgmt) {
        ctx.report([kind, n], `${nodeLabel(n)}: provider external needs mgmt.host for every node`, 'add mgmt: { host: ADDRESS }', true);
        continue;
      }
      const host = judgeHost(node.mgmt.host);
      if ('problem' in host) {
        ctx.report([kind, n, 'mgmt', 'host'], `${nodeLabel(n)}: mgmt host ${quote(node.mgmt.host)} ${host.problem}`, host.hint);
        continue;
      }
      // one box, however its address is spelled: 2001:DB8:0::1 is 2001:db8::1
      const where = hostPort(host.canonical, node.mgmt.port ?? t.ssh.port ?? 22);
      const other = hosts.get(where);
      if (other) ctx.report([kind, n, 'mgmt', 'host'], `${nodeLabel(n)}: mgmt ${where} is already ${nodeLabel(other)}'s`, 'every node needs its own address (or port)');
      else hosts.set(where, n);
      if (node.mgmt.jump !== undefined) jumpRule(node.mgmt.jump, [kind, n, 'mgmt', 'jump'], ctx);
    }
  }
  if (t.ssh.jump !== undefined) jumpRule(t.ssh.jump, ['ssh', 'jump'], ctx);
}

function jumpRule(spec: string, path: Path, ctx: RuleContext): void {
  if (spec.includes(',')) return ctx.report(path, `jump ${quote(spec)} names more than one hop`, 'cldemo goes through one bastion: [user@]host[:port]');
  const j = judgeJump(spec);
  if ('problem' in j) ctx.report(path, `jump ${quote(spec)} ${j.problem}`, j.hint);
}

const lab: Rule = (t, ctx) => {
  if (t.provider !== 'lab') return;
  const m = parseCidr(t.lab.mgmt_subnet);
  if (!m) return ctx.report(['lab', 'mgmt_subnet'], `mgmt_subnet ${quote(t.lab.mgmt_subnet)} is not an IPv4 network in CIDR form`, 'e.g. 192.168.200.0/24, host bits zero');
  const special = specialRange(m.network) ?? specialRange(m.broadcast);
  if (special) return ctx.report(['lab', 'mgmt_subnet'], `mgmt_subnet ${t.lab.mgmt_subnet} is ${special}`, 'use a private network such as 192.168.200.0/24');
  const nodes = Object.keys(t.switches).length + Object.keys(t.servers).length;
  if (m.broadcast - m.network - LAB_FIRST_NODE_HOST < nodes) {
    ctx.report(['lab', 'mgmt_subnet'], `mgmt_subnet ${t.lab.mgmt_subnet} is too small for ${nodes} nodes`, 'nodes take .10 onwards');
  }
  const c = subnetOf(t);
  if (c && (inCidr(m.network, c) || inCidr(c.network, m))) ctx.report(['lab', 'mgmt_subnet'], `mgmt_subnet ${t.lab.mgmt_subnet} overlaps the container subnet ${t.subnet}`);
  for (const [n, s] of Object.entries(t.switches)) {
    const lo = parseIpv4(s.loopback);
    if (lo !== null && inCidr(lo, m)) ctx.report(['switches', n, 'loopback'], `${nodeLabel(n)}: loopback ${formatIpv4(lo)} is inside the lab's mgmt_subnet`);
  }
};

type RawImpair = NonNullable<RawTopology['servers'][string]['uplink']['impair']>;

/** Every impairment a link or an uplink declares: each value readable, the keys consistent, the lab the one that applies it. */
const impairments: Rule = (t, ctx) => {
  const declared: Array<[RawImpair, Path]> = [
    ...t.links.flatMap((l, i): Array<[RawImpair, Path]> => (!Array.isArray(l) && l.impair ? [[l.impair, ['links', i, 'impair']]] : [])),
    ...Object.entries(t.servers).flatMap(([n, s]): Array<[RawImpair, Path]> => (s.uplink.impair ? [[s.uplink.impair, ['servers', n, 'uplink', 'impair']]] : [])),
  ];
  for (const [raw, path] of declared) {
    if (t.provider !== 'lab') {
      ctx.report(path, 'impair: link impairments are applied by `cldemo lab up`, and this topology is provider external', 'remove impair here, or use provider lab', true);
      continue;
    }
    readImpairment(raw, path, ctx);
  }
};

/** The impairment as numbers, each unreadable value reported at its own line. */
export function readImpairment(raw: RawImpair, path: Path, ctx: RuleContext): Impairment {
  const out: Impairment = {};
  for (const key of IMPAIR_KEYS) {
    if (raw[key] === undefined) continue;
    const r = parseImpairValue(key, raw[key]);
    if ('value' in r) out[key] = r.value;
    else ctx.report([...path, key], `impair ${key} ${quote(raw[key])} ${r.problem}`, r.hint);
  }
  for (const p of impairmentProblems(out)) ctx.report([...path, p.key], `impair: ${p.problem}`, p.hint);
  return out;
}

const RULES: Rule[] = [names, subnet, asns, loopbacks, links, fabric, mtus, addresses, ipv6Rule, images, redistributeNeighbor, bgpOptions, provider, lab, impairments];

export function runRules(t: RawTopology, src: Source, rules: Rule[] = RULES): Problem[] {
  const problems: Problem[] = [];
  const ctx: RuleContext = { report: (path, message, hint, key) => problems.push(problemAt(src, path, message, hint, key)) };
  for (const rule of rules) rule(t, ctx);
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}
