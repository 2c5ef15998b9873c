/**
 * Proxy NDP for a whole prefix, by proxy ARP's rule. A container's prefix is on-link in the
 * container (Docker puts the /64 on its interface), so to reach a neighbor of the same prefix
 * on another rack it sends a neighbor solicitation, and someone on its own link must answer.
 * For IPv4 the leaf's proxy_arp answers for any address whose route leaves by another port.
 * Linux's proxy NDP has no such rule: it answers only for addresses entered one by one
 * (`ip -6 neigh add proxy ADDR dev PORT`). So the agent enters them, following the routes:
 * on every port where the kernel has proxy NDP on, one entry per /128 of the main table that
 * lies inside one of the port's on-link prefixes and is routed by other ports (BGP via the
 * spines, or another server port of this leaf). An address routed by the port itself (its
 * container is behind it) gets none, so the leaf never answers in a container's place, and an
 * address with no route anywhere gets none, as proxy ARP would not answer for it either.
 *
 * Pure: the routes, the ports and the entries in the kernel come in; the changes go out
 * through a small port, so unit tests drive it with fakes.
 */
import { ipv6InPrefix, isIgnoredAddress } from './address.js';
import type { RoutePath } from './ip-lines.js';
import type { Logger } from './log.js';

export interface ProxyEntry {
  ip: string;
  dev: string;
}

/** What proxy NDP asks of the kernel. */
export interface ProxyKernel {
  replaceProxy(ip: string, dev: string): void;
  deleteProxy(ip: string, dev: string): void;
}

/** One look at the kernel: its IPv6 main-table routes, the ports that proxy, our entries. */
export interface ProxyView {
  routes: RoutePath[];
  /** ports with proxy NDP on, lo and excluded ports already taken out */
  ports: string[];
  /** the entries the agent made (proto 72), as the kernel has them now */
  current: ProxyEntry[];
}

interface Wanted extends ProxyEntry {
  /** the ports the address is routed by */
  via: string[];
}

const key = (e: ProxyEntry) => `${e.ip} ${e.dev}`;

interface Prefix {
  dst: string;
  length: number;
}

/** Each port's on-link prefixes (connected, not link-local) and each host address's ports. */
function readRoutes(routes: RoutePath[]): { onLink: Map<string, Prefix[]>; hosts: Map<string, Set<string>> } {
  const onLink = new Map<string, Prefix[]>();
  const hosts = new Map<string, Set<string>>();
  for (const r of routes) {
    if (!r.dst.includes(':')) continue;
    if (r.length === 128) {
      if (isIgnoredAddress(r.dst)) continue;
      const devs = hosts.get(r.dst) ?? new Set<string>();
      for (const d of r.devs) devs.add(d);
      hosts.set(r.dst, devs);
    } else if (!r.gateway && r.devs.length === 1 && !isIgnoredAddress(r.dst) && r.length > 0) {
      onLink.set(r.devs[0], [...(onLink.get(r.devs[0]) ?? []), { dst: r.dst, length: r.length }]);
    }
  }
  return { onLink, hosts };
}

/** The entries the routes call for, keyed `ip dev`. */
export function wantedProxies(routes: RoutePath[], ports: string[]): Map<string, Wanted> {
  const { onLink, hosts } = readRoutes(routes);
  const wanted = new Map<string, Wanted>();
  for (const dev of ports) {
    const prefixes = onLink.get(dev) ?? [];
    if (prefixes.length === 0) continue;
    for (const [ip, devs] of hosts) {
      if (devs.size === 0 || devs.has(dev)) continue;
      if (!prefixes.some((p) => ipv6InPrefix(ip, p.dst, p.length))) continue;
      wanted.set(key({ ip, dev }), { ip, dev, via: [...devs].sort() });
    }
  }
  return wanted;
}

/** Why an entry the kernel has is no longer wanted, in a few words for the log. */
function whyNot(e: ProxyEntry, view: ProxyView, hosts: Map<string, Set<string>>): string {
  if (!view.ports.includes(e.dev)) return `${e.dev} does not proxy`;
  const devs = hosts.get(e.ip);
  if (!devs || devs.size === 0) return 'no route';
  if (devs.has(e.dev)) return `routed by ${e.dev} itself`;
  return `outside the prefixes of ${e.dev}`;
}

export class ProxyNdp {
  /** what the agent last left in the kernel, for a stop that removes them */
  private installed = new Map<string, ProxyEntry>();

  constructor(
    private readonly kernel: ProxyKernel,
    private readonly logger: Logger,
  ) {}

  get count(): number {
    return this.installed.size;
  }

  /** Adds what the kernel lacks, removes what no route calls for; an entry already right is left alone. */
  sync(view: ProxyView): void {
    const wanted = wantedProxies(view.routes, view.ports);
    const have = new Map(view.current.map((e) => [key(e), e]));
    const { hosts } = readRoutes(view.routes);
    for (const [k, e] of have) {
      if (wanted.has(k)) continue;
      this.kernel.deleteProxy(e.ip, e.dev);
      const why = whyNot(e, view, hosts);
      this.logger.log('INFO', `proxy del ${e.ip} dev ${e.dev}: ${why}`);
    }
    for (const [k, w] of wanted) {
      if (have.has(k)) continue;
      this.kernel.replaceProxy(w.ip, w.dev);
      this.logger.log('INFO', `proxy add ${w.ip} dev ${w.dev}: routed via ${w.via.join(',')}`);
    }
    this.installed = new Map([...wanted].map(([k, w]) => [k, { ip: w.ip, dev: w.dev }]));
  }

  /** On a stop that withdraws the routes: nobody would keep these entries true any more. */
  removeAll(reason: string): void {
    for (const e of this.installed.values()) {
      this.kernel.deleteProxy(e.ip, e.dev);
      this.logger.log('INFO', `proxy del ${e.ip} dev ${e.dev}: ${reason}`);
    }
    this.installed.clear();
  }
}
