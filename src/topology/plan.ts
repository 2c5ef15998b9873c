/**
 * plan(): a checked topology in, the derived model out. Pure: no I/O, no environment,
 * deterministic order (switches, then servers, as the file lists them). How a node is
 * reached comes from its provider (src/providers.ts) as ConnectionFacts.
 */
import { dirname, resolve } from 'node:path';
import { formatCidr, formatCidr6, formatIpv6, parseCidr, type Cidr } from './ip.js';
import { addressing6, type Address6 } from './ipv6.js';
import { parseJump } from './jump.js';
import { linkEndpoints, parseEndpoint, readImpairment } from './rules.js';
import { BFD_DEFAULTS, GR_DEFAULTS, type RawTopology } from './schema.js';
import type { BgpOptions, ContainerPlan, FabricPort, Ipv6Plan, Link, Mgmt, Plan, ServerPlan, ServerPort, SwitchPlan } from './types.js';

/** What the planner is told about reaching nodes, so that it reads nothing itself. */
export interface ConnectionFacts {
  /** the topology file, absolute */
  file: string;
  /** the home directory `~` in a key or known_hosts path stands for */
  home: string;
  /** provider lab: how the lab reaches node number `index` (switches, then servers, in file order) */
  labNode(node: string, index: number): Mgmt;
}

export function plan(t: RawTopology, facts: ConnectionFacts): Plan {
  const subnet = parseCidr(t.subnet)!;
  const links = planLinks(t);
  const mgmtFor = mgmtPlanner(t, facts);
  const v6 = planIpv6(t);
  const containers = planContainers(t, v6);
  const containersOf = groupBy(containers, (c) => c.server);
  return {
    name: t.name,
    provider: t.provider,
    file: facts.file,
    subnet: formatCidr(subnet),
    gateway: t.gateway,
    prefixLength: subnet.prefix,
    ...(v6 ? { ipv6: v6.plan } : {}),
    image: t.defaults.image,
    redistributeNeighbor: planRedistributeNeighbor(t.redistribute_neighbor),
    bgp: planBgp(t.bgp),
    lab: { mgmtSubnet: t.lab.mgmt_subnet, mgmtInterface: 'eth0' },
    switches: planSwitches(t, mgmtFor, portsBySwitch(links, containersOf, v6 !== undefined), containers, v6),
    servers: planServers(t, subnet, mgmtFor, containersOf, v6),
    links,
    containers,
  };
}

/** Dual stack's addresses, canonical: the plan's part, and each node's by name. */
interface Planned6 {
  plan: Ipv6Plan;
  servers: Map<string, string>;
  containers: Map<string, string[]>;
  switches: Map<string, string>;
}

function planIpv6(t: RawTopology): Planned6 | undefined {
  const a = addressing6(t);
  if (!a) return undefined;
  const text = (x: Address6) => formatIpv6(x.ip!);
  const each = <T, U>(m: Map<string, T>, f: (x: T) => U) => new Map([...m].map(([k, v]) => [k, f(v)]));
  return {
    plan: { prefix: formatCidr6(a.prefix!), prefixLength: a.prefix!.prefix, gateway: text(a.gateway) },
    servers: each(a.servers, text),
    containers: each(a.containers, (list) => list.map(text)),
    switches: each(a.switches, text),
  };
}

function planRedistributeNeighbor(r: RawTopology['redistribute_neighbor']): Plan['redistributeNeighbor'] {
  return {
    keepalive: r.keepalive,
    holdtime: r.holdtime,
    routeTable: r.route_table,
    unicastArpRequests: r.unicast_arp_requests,
    loglevel: r.loglevel,
  };
}

/** `true` takes the defaults the schema gives an empty map; `false` leaves the option out. */
function planBgp(b: RawTopology['bgp']): BgpOptions {
  const bfd = b.bfd === true ? BFD_DEFAULTS : b.bfd === false ? undefined : b.bfd;
  const gr = b.graceful_restart === true ? GR_DEFAULTS : b.graceful_restart === false ? undefined : b.graceful_restart;
  return {
    ...(bfd ? { bfd: { interval: bfd.interval, multiplier: bfd.multiplier } } : {}),
    ...(gr ? { gracefulRestart: { restartTime: gr.restart_time, stalepathTime: gr.stalepath_time } } : {}),
  };
}

function planSwitches(t: RawTopology, mgmtFor: MgmtFor, ports: SwitchPorts, containers: ContainerPlan[], v6: Planned6 | undefined): SwitchPlan[] {
  // one list shared by every switch: the plan stays linear in containers
  const routes = containers.map((c) => `${c.ip}/32`);
  const routes6 = v6 ? containers.map((c) => `${c.ip6!}/128`) : undefined;
  return Object.entries(t.switches).map(([name, s]) => ({
    name,
    role: s.role,
    asn: s.asn,
    loopback: s.loopback,
    ...(v6 ? { loopback6: v6.switches.get(name)! } : {}),
    platform: s.platform ?? t.defaults.platform,
    mgmt: mgmtFor(name, s.mgmt),
    fabricPorts: inPortOrder(ports.fabric.get(name) ?? []),
    serverPorts: inPortOrder(ports.server.get(name) ?? []),
    expectedRoutes: routes,
    ...(routes6 ? { expectedRoutes6: routes6 } : {}),
  }));
}

function planServers(t: RawTopology, subnet: Cidr, mgmtFor: MgmtFor, containersOf: Map<string, ContainerPlan[]>, v6: Planned6 | undefined): ServerPlan[] {
  return Object.entries(t.servers).map(([name, s]) => ({
    name,
    role: 'server',
    mgmt: mgmtFor(name, s.mgmt),
    uplink: {
      interface: s.uplink.interface,
      address: s.uplink.address,
      prefixLength: subnet.prefix,
      ...(v6 ? { address6: v6.servers.get(name)! } : {}),
      leaf: s.uplink.leaf,
      port: s.uplink.port,
      mtu: s.uplink.mtu ?? t.defaults.mtu,
    },
    network: {
      name: `${name}_${s.uplink.interface}`,
      parent: s.uplink.interface,
      subnet: formatCidr(subnet),
      gateway: t.gateway,
      ...(v6 ? { subnet6: v6.plan.prefix, gateway6: v6.plan.gateway } : {}),
    },
    containers: containersOf.get(name) ?? [],
  }));
}

function planLinks(t: RawTopology): Link[] {
  const fabric: Link[] = t.links.map((l) => {
    const [a, b] = linkEndpoints(l).map((e) => parseEndpoint(e)!);
    return { a, b, kind: 'fabric', mtu: (!Array.isArray(l) && l.mtu) || t.defaults.mtu, ...impairOf(Array.isArray(l) ? undefined : l.impair) };
  });
  const uplinks: Link[] = Object.entries(t.servers).map(([name, s]) => ({
    a: { node: name, port: s.uplink.interface },
    b: { node: s.uplink.leaf, port: s.uplink.port },
    kind: 'server',
    mtu: s.uplink.mtu ?? t.defaults.mtu,
    ...impairOf(s.uplink.impair),
  }));
  return [...fabric, ...uplinks];
}

/** `{ impair }` when the link declares one (the rules have read every value already), else nothing. */
function impairOf(raw: Parameters<typeof readImpairment>[0] | undefined): Pick<Link, 'impair'> {
  return raw ? { impair: readImpairment(raw, [], { report: () => undefined }) } : {};
}

function planContainers(t: RawTopology, v6: Planned6 | undefined): ContainerPlan[] {
  return Object.entries(t.servers).flatMap(([server, s]) =>
    s.containers.map((c, i) => {
      const ip = typeof c === 'string' ? c : c.ip;
      const image = (typeof c !== 'string' && c.image) || t.defaults.image;
      const ip6 = v6?.containers.get(server)![i];
      return { name: `${server}-${ip}`, ip, ...(ip6 ? { ip6 } : {}), image, server, leaf: s.uplink.leaf, leafPort: s.uplink.port };
    }),
  );
}

/**
 * Addresses Docker's IPAM on `server` must never hand out: every server's and every other
 * server's container's. Built at apply time for one server, never kept in the plan: for
 * every server at once it would grow as servers x containers.
 */
export function auxAddresses(p: Pick<Plan, 'servers' | 'containers'>, server: string): Record<string, string> {
  const aux: Record<string, string> = {};
  for (const s of p.servers) aux[`host-${s.name}`] = s.uplink.address;
  for (const c of p.containers) if (c.server !== server) aux[`ct-${c.ip.replaceAll('.', '-')}`] = c.ip;
  return aux;
}

/** The same for the network's IPv6 pool (dual stack): every server's and other servers' containers' IPv6 addresses. */
export function auxAddresses6(p: Pick<Plan, 'servers' | 'containers'>, server: string): Record<string, string> {
  const aux: Record<string, string> = {};
  for (const s of p.servers) if (s.uplink.address6) aux[`host-${s.name}`] = s.uplink.address6;
  for (const c of p.containers) if (c.server !== server && c.ip6) aux[`ct-${c.ip.replaceAll('.', '-')}`] = c.ip6;
  return aux;
}

interface SwitchPorts {
  fabric: Map<string, FabricPort[]>;
  server: Map<string, ServerPort[]>;
}

function portsBySwitch(links: Link[], containersOf: Map<string, ContainerPlan[]>, dualStack: boolean): SwitchPorts {
  const fabric = new Map<string, FabricPort[]>();
  const server = new Map<string, ServerPort[]>();
  const add = <T>(m: Map<string, T[]>, k: string, v: T) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  for (const l of links) {
    if (l.kind === 'server') {
      const behind = containersOf.get(l.a.node) ?? [];
      const containerIps = behind.map((c) => c.ip);
      const v6 = dualStack ? { containerIps6: behind.map((c) => c.ip6!) } : {};
      add(server, l.b.node, { port: l.b.port, server: l.a.node, serverInterface: l.a.port, mtu: l.mtu, containerIps, ...v6 });
      continue;
    }
    add(fabric, l.a.node, { port: l.a.port, peer: l.b.node, peerPort: l.b.port, mtu: l.mtu });
    add(fabric, l.b.node, { port: l.b.port, peer: l.a.node, peerPort: l.a.port, mtu: l.mtu });
  }
  return { fabric, server };
}

function groupBy<T>(items: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

type RawMgmt = RawTopology['switches'][string]['mgmt'];
type MgmtFor = (name: string, given?: RawMgmt) => Mgmt;

/** How each node is reached: the lab's addressing by file order, or the node's own `mgmt:`. */
function mgmtPlanner(t: RawTopology, facts: ConnectionFacts): MgmtFor {
  if (t.provider === 'lab') {
    const order = new Map([...Object.keys(t.switches), ...Object.keys(t.servers)].map((n, i) => [n, i]));
    return (name) => facts.labNode(name, order.get(name)!);
  }
  const expand = pathExpander(facts);
  return (_name, given) => externalMgmt(t.ssh, given, expand);
}

/** `~` is the home directory, and a relative path is read against the topology file's folder. */
function pathExpander(facts: ConnectionFacts): (p: string) => string {
  // facts.file is absolute, so resolving against its directory never consults the cwd
  const base = dirname(facts.file);
  return (p) => resolve(base, p.replace(/^~(?=\/|$)/, facts.home));
}

/** An external node's `mgmt:`, each field falling back to the file's `ssh:` defaults. */
function externalMgmt(ssh: RawTopology['ssh'], given: RawMgmt, expand: (p: string) => string): Mgmt {
  const identity = given?.identity_file ?? ssh.identity_file;
  const user = given?.user ?? ssh.user;
  const port = given?.port ?? ssh.port;
  const jump = given?.jump ?? ssh.jump;
  const defaulted = [...(user === undefined ? ['user' as const] : []), ...(port === undefined ? ['port' as const] : [])];
  return {
    host: given!.host,
    port: port ?? 22,
    user: user ?? 'root',
    identityFile: identity ? expand(identity) : undefined,
    knownHosts: expand(ssh.known_hosts ?? '~/.ssh/known_hosts'),
    ...((given?.sudo ?? ssh.sudo) ? { sudo: true } : {}),
    ...(jump ? { jump: parseJump(jump)! } : {}),
    ...(defaulted.length ? { defaulted } : {}),
  };
}

/** swp2 before swp10: ports sort by their number, as on a switch (sorts `ports` in place). */
function inPortOrder<T extends { port: string }>(ports: T[]): T[] {
  return ports.sort((x, y) => PORT_COLLATOR.compare(x.port, y.port));
}
// one collator for every comparison: localeCompare with options builds one per call (seconds at 180,000 links)
const PORT_COLLATOR = new Intl.Collator('en', { numeric: true });

