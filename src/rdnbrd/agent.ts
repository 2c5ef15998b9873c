/**
 * The redistribute-neighbor state machine: which neighbors are alive, which /32s
 * exist, when to probe and when to give up. It does no I/O of its own: the kernel
 * is a KernelPort and time is passed in, so unit tests drive it with fakes.
 */
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
}

export function isIgnoredAddress(ip: string): boolean {
  return ip === '0.0.0.0' || ip.startsWith('169.254.');
}

export class Agent {
  private readonly neighbors = new Map<string, Neighbor>();

  constructor(
    private cfg: RdnbrdConfig,
    private readonly kernel: KernelPort,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  get config(): RdnbrdConfig {
    return this.cfg;
  }

  /** Host routes the agent currently holds, as `ip dev`. */
  routes(): Array<{ ip: string; dev: string }> {
    return [...this.neighbors.values()].map(({ ip, dev }) => ({ ip, dev }));
  }

  isEligible(ip: string, dev: string): boolean {
    return dev !== 'lo' && !this.cfg.exclude_interfaces.includes(dev) && !isIgnoredAddress(ip);
  }

  /**
   * Brings the agent and the table in line with a dump: live neighbors keep (or get)
   * their route, our routes without a live neighbor go. A route already in place is
   * left untouched, so a restart never opens a window for a live host.
   */
  reconcile(dump: NeighborEvent[], ownRoutes: KernelRoute[], now: number): void {
    const live = dump.filter((n) => !n.deleted && LIVE_STATES.has(n.state) && this.isEligible(n.ip, n.dev));
    const liveIps = new Set(live.map((n) => n.ip));
    for (const n of [...this.neighbors.values()]) {
      if (!liveIps.has(n.ip)) this.withdraw(n, 'neighbor no longer in the kernel table', false);
    }
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
    if (ev.kind === 'link') this.onLink(ev);
    else this.onNeighbor(ev, now);
  }

  /** Called often (a tenth of keepalive): expire the silent, probe the due. */
  tick(now: number): void {
    const holdMs = this.cfg.holdtime * 1000;
    const keepaliveMs = this.cfg.keepalive * 1000;
    for (const n of [...this.neighbors.values()]) {
      if (n.permanent) continue;
      if (now - n.confirmedAt >= holdMs) {
        this.withdraw(n, `no ARP reply for ${this.cfg.holdtime}s`, true);
      } else if (now >= n.nextProbeAt) {
        this.probe(n);
        n.nextProbeAt = n.nextProbeAt + keepaliveMs > now ? n.nextProbeAt + keepaliveMs : now + keepaliveMs;
      }
    }
  }

  /** SIGHUP: new timers and exclusions apply at once; a new table gets the routes moved. */
  configure(next: RdnbrdConfig): void {
    const previous = this.cfg;
    this.cfg = next;
    this.logger.level = next.loglevel;
    for (const n of [...this.neighbors.values()]) {
      if (!this.isEligible(n.ip, n.dev)) {
        this.withdraw(n, `interface ${n.dev} is now excluded`, false, previous.route_table);
      } else if (previous.route_table !== next.route_table) {
        this.kernel.deleteRoute(n.ip, n.dev, previous.route_table);
        this.kernel.replaceRoute(n.ip, n.dev, next.route_table);
        this.logger.log('INFO', `route move ${n.ip}/32 dev ${n.dev} table ${previous.route_table} -> ${next.route_table}: route_table changed`);
      }
    }
  }

  /** SIGTERM: every route the agent installed goes; neighbor entries stay. */
  withdrawAll(reason: string): void {
    for (const n of [...this.neighbors.values()]) this.withdraw(n, reason, false);
  }

  private onNeighbor(ev: NeighborEvent, now: number): void {
    if (!this.isEligible(ev.ip, ev.dev)) return;
    this.debugArp(ev.dev, `${ev.deleted ? 'deleted ' : ''}${ev.ip} ${ev.mac ?? '-'} ${ev.state}`);
    const known = this.neighbors.get(ev.ip);
    if (!ev.deleted && LIVE_STATES.has(ev.state)) {
      if (known) this.refresh(known, ev, now);
      else this.track(ev, now, 'add');
      return;
    }
    // An entry for the same address on another port says nothing about ours.
    if (!known || known.dev !== ev.dev) return;
    if (ev.deleted) this.withdraw(known, 'neighbor entry deleted', false);
    else this.withdraw(known, `neighbor ${ev.state}`, true);
  }

  private onLink(ev: LinkEvent): void {
    if (ev.up) return;
    for (const n of [...this.neighbors.values()]) {
      if (n.dev === ev.dev) this.withdraw(n, `interface ${ev.dev} ${ev.deleted ? 'deleted' : 'down'}`, !ev.deleted);
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
    };
    this.neighbors.set(n.ip, n);
    if (how === 'kept') {
      this.logger.log('INFO', `route kept ${n.ip}/32 dev ${n.dev} table ${this.cfg.route_table}: neighbor ${ev.state} at start`);
      return;
    }
    this.kernel.replaceRoute(n.ip, n.dev, this.cfg.route_table);
    this.logger.log('INFO', `route add ${n.ip}/32 dev ${n.dev} table ${this.cfg.route_table}: neighbor ${ev.state}`);
  }

  private refresh(n: Neighbor, ev: NeighborEvent, now: number): void {
    if (ev.mac) n.mac = ev.mac;
    n.permanent = ev.state === 'PERMANENT';
    if (ev.state === 'REACHABLE' || n.permanent) n.confirmedAt = now;
    if (n.dev === ev.dev) return;
    const from = n.dev;
    n.dev = ev.dev;
    n.confirmedAt = now;
    this.kernel.replaceRoute(n.ip, n.dev, this.cfg.route_table);
    this.logger.log('INFO', `route move ${n.ip}/32 dev ${from} -> ${n.dev} table ${this.cfg.route_table}: neighbor ${ev.state} on ${n.dev}`);
  }

  private withdraw(n: Neighbor, reason: string, deleteNeighbor: boolean, table = this.cfg.route_table): void {
    this.neighbors.delete(n.ip);
    this.kernel.deleteRoute(n.ip, n.dev, table);
    if (deleteNeighbor) this.kernel.deleteNeighbor(n.ip, n.dev);
    this.logger.log('INFO', `route del ${n.ip}/32 dev ${n.dev} table ${table}: ${reason}`);
  }

  private reinstall(n: Neighbor): void {
    this.kernel.replaceRoute(n.ip, n.dev, this.cfg.route_table);
    this.logger.log('INFO', `route add ${n.ip}/32 dev ${n.dev} table ${this.cfg.route_table}: missing from the table`);
  }

  private removeStaleRoute(r: KernelRoute): void {
    if (!r.dev) return;
    this.kernel.deleteRoute(r.ip, r.dev, this.cfg.route_table);
    this.logger.log('INFO', `route del ${r.ip}/32 dev ${r.dev} table ${this.cfg.route_table}: stale at start, no live neighbor`);
  }

  private probe(n: Neighbor): void {
    if (!n.mac) return;
    this.debugArp(n.dev, `probe ${n.ip} at ${this.cfg.unicast_arp_requests ? n.mac : 'broadcast'}`);
    this.kernel.probe(n.ip, n.dev, n.mac, this.cfg.unicast_arp_requests);
  }

  private debugArp(dev: string, message: string): void {
    if (this.cfg.debug_arp.includes(dev)) this.logger.log('INFO', `arp ${dev}: ${message}`);
    else this.logger.log('DEBUG', `arp ${dev}: ${message}`);
  }
}
