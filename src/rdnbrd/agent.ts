/**
 * The redistribute-neighbor state machine: which neighbors are alive, which /32s and
 * /128s exist, when to probe and when to give up. ARP and neighbor discovery entries are
 * one kind of thing here; the family, read from the address, picks the table, the host
 * route's length and the words of the log. It does no I/O of its own: the kernel is a
 * KernelPort and time is passed in, so unit tests drive it with fakes.
 */
import { hostLength, isIgnoredAddress, isIpv6Text } from './address.js';
import type { RdnbrdConfig } from './config.js';
import type { KernelPort } from './iproute.js';
import { LIVE_STATES, type KernelRoute, type LinkEvent, type NeighborEvent } from './ip-lines.js';
import type { Logger } from './log.js';

interface Neighbor {
  ip: string;
  dev: string;
  mac?: string;
  /** static entries are never probed and never expire */
  permanent: boolean;
  /** ms timestamp of the last REACHABLE seen (or of discovery) */
  confirmedAt: number;
  nextProbeAt: number;
  /** when the agent first routed it, last asked the kernel to probe it, and saw it FAILED */
  learnedAt: number;
  probedAt?: number;
  failedAt?: number;
}

/** An address the config expects behind a port, while it has no live entry there (a host moving in from another port included). */
interface Wanted {
  dev: string;
  solicitedAt: number;
  nextSolicitAt: number;
}

/**
 * A solicitation runs in the kernel (INCOMPLETE: mcast_solicit broadcasts, retrans_time
 * apart, then FAILED); its FAILED starts the next one, no sooner than this after the last.
 */
const RESOLICIT_MIN_MS = 1000;
/** ...and this often even if that FAILED event never comes (entry garbage-collected, say). */
const RESOLICIT_MAX_MS = 5000;

export class Agent {
  private readonly neighbors = new Map<string, Neighbor>();
  private wanted = new Map<string, Wanted>();

  constructor(
    private cfg: RdnbrdConfig,
    private readonly kernel: KernelPort,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.wanted = wantedFrom(cfg, new Map());
  }

  get config(): RdnbrdConfig {
    return this.cfg;
  }

  /** The table a host route of this address goes to: IPv4 and IPv6 each have theirs. */
  tableOf(ip: string, cfg = this.cfg): number {
    return isIpv6Text(ip) ? cfg.ipv6_route_table : cfg.route_table;
  }

  /** Host routes the agent currently holds, as `ip dev`. */
  routes(): Array<{ ip: string; dev: string }> {
    return [...this.neighbors.values()].map(({ ip, dev }) => ({ ip, dev }));
  }

  isEligible(ip: string, dev: string): boolean {
    return dev !== 'lo' && !this.cfg.exclude_interfaces.includes(dev) && !isIgnoredAddress(ip);
  }

  /** A neighbor that says it is a router (an NDP flag) is a switch or a gateway, not a host. */
  private isHost(ev: NeighborEvent): boolean {
    return !ev.router && this.isEligible(ev.ip, ev.dev);
  }

  /**
   * Brings the agent and the table in line with a dump: live neighbors keep (or get)
   * their route, our routes without a live neighbor go. A route already in place is
   * left untouched, so a restart never opens a window for a live host.
   */
  reconcile(dump: NeighborEvent[], ownRoutes: KernelRoute[], now: number): void {
    const live = dump.filter((n) => !n.deleted && LIVE_STATES.has(n.state) && this.isHost(n));
    const liveIps = new Set(live.map((n) => n.ip));
    for (const n of [...this.neighbors.values()]) {
      if (!liveIps.has(n.ip)) this.withdraw(n, 'neighbor no longer in the kernel table', false, now);
    }
    // events may have been missed: every expected address still unknown is asked for again
    for (const w of this.wanted.values()) w.nextSolicitAt = now;
    const installed = new Map(ownRoutes.map((r) => [r.ip, r.dev]));
    for (const ev of live) {
      const known = this.neighbors.get(ev.ip);
      if (!known) {
        this.track(ev, now, installed.get(ev.ip) === ev.dev ? 'kept' : 'add');
        continue;
      }
      this.refresh(known, ev, now);
      if (installed.get(ev.ip) !== known.dev) this.reinstall(known);
    }
    for (const r of ownRoutes) {
      const n = this.neighbors.get(r.ip);
      if (!n || n.dev !== r.dev) this.removeStaleRoute(r);
    }
  }

  onEvent(ev: NeighborEvent | LinkEvent, now: number): void {
    if (ev.kind === 'link') this.onLink(ev, now);
    else this.onNeighbor(ev, now);
  }

  /** Called often (a tenth of keepalive): expire the silent, probe the due, ask for the missing. */
  tick(now: number): void {
    const holdMs = this.cfg.holdtime * 1000;
    const keepaliveMs = this.cfg.keepalive * 1000;
    for (const n of [...this.neighbors.values()]) {
      if (n.permanent) continue;
      if (now - n.confirmedAt >= holdMs) {
        this.withdraw(n, `no ${isIpv6Text(n.ip) ? 'NDP' : 'ARP'} reply for ${this.cfg.holdtime}s`, true, now);
      } else if (now >= n.nextProbeAt) {
        this.probe(n, now);
        n.nextProbeAt = n.nextProbeAt + keepaliveMs > now ? n.nextProbeAt + keepaliveMs : now + keepaliveMs;
      }
    }
    for (const [ip, w] of this.wanted) {
      if (now >= w.nextSolicitAt && this.neighbors.get(ip)?.dev !== w.dev) this.solicit(ip, w, now);
    }
  }

  /** SIGHUP: new timers and exclusions apply at once; a new table gets the routes moved. */
  configure(next: RdnbrdConfig): void {
    const previous = this.cfg;
    this.cfg = next;
    this.logger.level = next.loglevel;
    this.wanted = wantedFrom(next, this.wanted);
    for (const n of [...this.neighbors.values()]) {
      const [from, to] = [this.tableOf(n.ip, previous), this.tableOf(n.ip)];
      if (!this.isEligible(n.ip, n.dev)) {
        this.withdraw(n, `interface ${n.dev} is now excluded`, false, undefined, from);
      } else if (from !== to) {
        this.kernel.deleteRoute(n.ip, n.dev, from);
        this.kernel.replaceRoute(n.ip, n.dev, to);
        const key = isIpv6Text(n.ip) ? 'ipv6_route_table' : 'route_table';
        this.logger.log('INFO', `route move ${host(n.ip)} dev ${n.dev} table ${tableName(from)} -> ${tableName(to)}: ${key} changed`);
      }
    }
  }

  /** SIGTERM: every route the agent installed goes; neighbor entries stay. */
  withdrawAll(reason: string): void {
    for (const n of [...this.neighbors.values()]) this.withdraw(n, reason, false);
  }

  private onNeighbor(ev: NeighborEvent, now: number): void {
    if (!this.isEligible(ev.ip, ev.dev)) return;
    this.debugArp(ev.dev, ev.ip, `${ev.deleted ? 'deleted ' : ''}${ev.ip} ${ev.mac ?? '-'}${ev.router ? ' router' : ''} ${ev.state}`);
    const known = this.neighbors.get(ev.ip);
    if (ev.router) {
      // an address that turns out to be a router's was never a host's to route
      if (known && known.dev === ev.dev) this.withdraw(known, 'neighbor is a router', false);
      return;
    }
    if (!ev.deleted && LIVE_STATES.has(ev.state)) {
      if (known) this.refresh(known, ev, now);
      else this.track(ev, now, 'add');
      return;
    }
    if (!known || known.dev !== ev.dev) {
      // the kernel gave up on (or dropped) an address we ask for: the next request starts now
      const w = this.wanted.get(ev.ip);
      if (w && w.dev === ev.dev) w.nextSolicitAt = Math.min(w.nextSolicitAt, w.solicitedAt + RESOLICIT_MIN_MS);
      // an entry for the same address on another port says nothing about the one we route
      return;
    }
    if (ev.deleted) {
      this.withdraw(known, 'neighbor entry deleted', false, now);
      return;
    }
    known.failedAt = now;
    this.withdraw(known, `neighbor ${ev.state}`, true, now);
  }

  private onLink(ev: LinkEvent, now: number): void {
    if (ev.up) return;
    for (const n of [...this.neighbors.values()]) {
      if (n.dev === ev.dev) this.withdraw(n, `interface ${ev.dev} ${ev.deleted ? 'deleted' : 'down'}`, !ev.deleted, now);
    }
  }

  private track(ev: NeighborEvent, now: number, how: 'add' | 'kept'): void {
    const n: Neighbor = {
      ip: ev.ip,
      dev: ev.dev,
      mac: ev.mac,
      permanent: ev.state === 'PERMANENT',
      confirmedAt: now,
      // A random phase spreads the probes of many neighbors over the interval.
      nextProbeAt: now + this.random() * this.cfg.keepalive * 1000,
      learnedAt: now,
    };
    this.neighbors.set(n.ip, n);
    const table = this.tableOf(n.ip);
    if (how === 'kept') {
      this.logger.log('INFO', `route kept ${host(n.ip)} dev ${n.dev} table ${tableName(table)}: neighbor ${ev.state} at start`);
      return;
    }
    this.kernel.replaceRoute(n.ip, n.dev, table);
    this.logger.log('INFO', `route add ${host(n.ip)} dev ${n.dev} table ${tableName(table)}: neighbor ${ev.state}`);
  }

  private refresh(n: Neighbor, ev: NeighborEvent, now: number): void {
    if (ev.mac) n.mac = ev.mac;
    n.permanent = ev.state === 'PERMANENT';
    if (ev.state === 'REACHABLE' || n.permanent) n.confirmedAt = now;
    if (n.dev === ev.dev) return;
    const from = n.dev;
    n.dev = ev.dev;
    n.confirmedAt = now;
    const table = this.tableOf(n.ip);
    this.kernel.replaceRoute(n.ip, n.dev, table);
    this.logger.log('INFO', `route move ${host(n.ip)} dev ${from} -> ${n.dev} table ${tableName(table)}: neighbor ${ev.state} on ${n.dev}`);
  }

  /**
   * `now` is given when a host went away (not on stop or reload): then the line after
   * `route del` says when it last answered, was last asked and was seen FAILED, and an
   * expected address is asked for again at once.
   */
  private withdraw(n: Neighbor, reason: string, deleteNeighbor: boolean, now?: number, table = this.tableOf(n.ip)): void {
    this.neighbors.delete(n.ip);
    this.kernel.deleteRoute(n.ip, n.dev, table);
    if (deleteNeighbor) this.kernel.deleteNeighbor(n.ip, n.dev);
    this.logger.log('INFO', `route del ${host(n.ip)} dev ${n.dev} table ${tableName(table)}: ${reason}`);
    if (now === undefined) return;
    const times = `learned ${iso(n.learnedAt)} confirmed ${iso(n.confirmedAt)} probed ${iso(n.probedAt)} failed ${iso(n.failedAt)} withdrawn ${iso(now)}`;
    this.logger.log('INFO', `timeline ${n.ip} dev ${n.dev}: ${times}`);
    const w = this.wanted.get(n.ip);
    if (w && w.dev === n.dev) w.nextSolicitAt = now;
  }

  private reinstall(n: Neighbor): void {
    const table = this.tableOf(n.ip);
    this.kernel.replaceRoute(n.ip, n.dev, table);
    this.logger.log('INFO', `route add ${host(n.ip)} dev ${n.dev} table ${tableName(table)}: missing from the table`);
  }

  private removeStaleRoute(r: KernelRoute): void {
    if (!r.dev) return;
    const table = this.tableOf(r.ip);
    this.kernel.deleteRoute(r.ip, r.dev, table);
    this.logger.log('INFO', `route del ${host(r.ip)} dev ${r.dev} table ${tableName(table)}: stale at start, no live neighbor`);
  }

  /**
   * IPv6 probes are always unicast: a neighbor solicitation to the known MAC is what RFC 4861
   * calls reachability confirmation; `unicast_arp_requests` is about ARP.
   */
  private probe(n: Neighbor, now: number): void {
    if (!n.mac) return;
    n.probedAt = now;
    const unicast = this.cfg.unicast_arp_requests || isIpv6Text(n.ip);
    this.debugArp(n.dev, n.ip, `probe ${n.ip} at ${unicast ? n.mac : 'broadcast'}`);
    this.kernel.probe(n.ip, n.dev, n.mac, unicast);
  }

  /** A broadcast ARP request (IPv6: a multicast solicitation) for an expected address; its reply creates the route. */
  private solicit(ip: string, w: Wanted, now: number): void {
    if (!this.isEligible(ip, w.dev)) return;
    w.solicitedAt = now;
    w.nextSolicitAt = now + RESOLICIT_MAX_MS;
    this.debugArp(w.dev, ip, `solicit ${ip} at ${isIpv6Text(ip) ? 'multicast' : 'broadcast'}`);
    this.kernel.solicit(ip, w.dev);
  }

  /** `arp PORT: ...` for IPv4, `nd PORT: ...` for IPv6; at INFO on the ports in debug_arp. */
  private debugArp(dev: string, ip: string, message: string): void {
    const line = `${isIpv6Text(ip) ? 'nd' : 'arp'} ${dev}: ${message}`;
    this.logger.log(this.cfg.debug_arp.includes(dev) ? 'INFO' : 'DEBUG', line);
  }
}

/** `172.16.1.11/32`, `2001:db8:1::11/128`. */
function host(ip: string): string {
  return `${ip}/${hostLength(ip)}`;
}

/** Tables as `ip` names them: 254 is main. */
export function tableName(table: number): string {
  return table === 254 ? 'main' : String(table);
}

/** The expected addresses of `cfg`, keeping the schedule of those already wanted. */
function wantedFrom(cfg: RdnbrdConfig, previous: Map<string, Wanted>): Map<string, Wanted> {
  const next = new Map<string, Wanted>();
  for (const { ip, dev } of cfg.expected_neighbors) {
    const old = previous.get(ip);
    next.set(ip, old && old.dev === dev ? old : { dev, solicitedAt: -Infinity, nextSolicitAt: 0 });
  }
  return next;
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}
