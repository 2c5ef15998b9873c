/**
 * The redistribute-neighbor state machine: which neighbors are alive, which /32s and
 * /128s exist, when to probe and when to give up. ARP and neighbor discovery entries are
 * one kind of thing here; the family, read from the address, picks the table, the host
 * route's length and the words of the log. It does no I/O of its own: the kernel is a
 * KernelPort and time is passed in, so unit tests drive it with fakes.
 */
import { hostLength, isIgnoredAddress, isIpv6Text } from './address.js';
import type { RdnbrdConfig } from './config.js';
import { RDNBRD_PROTO, type KernelPort, type KernelTables } from './iproute.js';
import { LIVE_STATES, protoName, type LinkEvent, type NeighborEvent, type TableRoute } from './ip-lines.js';
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
/** A route event the agent cannot explain has its tables read back this soon (a burst makes one read). */
const AUDIT_SOON_MS = 100;
/** A read back that has not answered in this long is given up (a wedged ip), and the next one starts. */
const AUDIT_LOST_MS = 30_000;
/**
 * Ticks come every tenth of a keepalive (100 ms at most). A gap longer than this between two
 * means the agent itself did not run (the host stalled, or the process was stopped): it could
 * neither probe nor read replies, so the gap beyond this does not count against any neighbor.
 * This much of every gap does count, so an agent whose ticks keep coming late still withdraws
 * a silent host, holdtime x (gap / this) after its last answer at worst.
 */
const STALL_MS = 1000;
/** Tables nobody else writes to: the agent answers for every route there. Main, local and default are shared. */
const SHARED_TABLES = new Set([0, 253, 254, 255]);
const TABLE_NUMBERS: Record<string, number> = { main: 254, local: 255, default: 253 };

/** How the agent checks its tables: at a start or reload, or a read back while it runs (its changes since left alone). */
interface ReconcileMode {
  atStart: boolean;
  /** addresses the agent changed or heard of after this time are left for the next read */
  since: number;
}

export class Agent {
  private readonly neighbors = new Map<string, Neighbor>();
  private wanted = new Map<string, Wanted>();
  /** ip -> when the agent last changed its route or heard of its neighbor: a read begun before says nothing of it */
  private readonly touched = new Map<string, number>();
  /** the next read of the tables; one in flight since `auditStartedAt`; its answer waiting for the next tick */
  private auditNextAt = 0;
  private auditStartedAt?: number;
  private auditResult?: { tables: KernelTables; since: number };
  private auditFailedSaidAt = -Infinity;
  /** bumped by every reconcile: a read begun before one is stale */
  private epoch = 0;
  /** when tick last ran: a long gap since is the agent's own stall, not its neighbors' silence */
  private lastTickAt?: number;

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
   * Brings the agent and its tables in line with what the kernel holds (at start, on a reload,
   * after a lost monitor): live neighbors keep (or get) their route, its routes without a live
   * neighbor go, and so does any route in its tables it cannot explain. A route already in place
   * is left untouched, so a restart never opens a window for a live host.
   */
  reconcile(tables: KernelTables, now: number): void {
    // a read back in flight began before this one: its answer is dropped
    this.epoch += 1;
    this.auditStartedAt = undefined;
    this.auditResult = undefined;
    this.auditNextAt = now + this.auditEveryMs();
    // the agent runs from its first reconcile: a stall before its first tick is a stall too
    this.lastTickAt ??= now;
    this.settle(tables, now, { atStart: true, since: Infinity });
  }

  onEvent(ev: NeighborEvent | LinkEvent, now: number): void {
    if (ev.kind === 'link') this.onLink(ev, now);
    else this.onNeighbor(ev, now);
  }

  /**
   * A route changed in some table. One in the agent's tables that it cannot explain (added by
   * someone else, or its own deleted under it) has the tables read back soon; the read decides.
   */
  onRoute(r: TableRoute, now: number): void {
    if (!this.answersFor(r)) return;
    const mine = this.isOwnRoute(r);
    if (r.deleted ? !mine : mine) return;
    this.auditNextAt = Math.min(this.auditNextAt, now + AUDIT_SOON_MS);
  }

  /** Called often (a tenth of keepalive): expire the silent, probe the due, ask for the missing. */
  tick(now: number): void {
    this.creditStall(now);
    this.audit(now);
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

  /**
   * The agent did not run for a while (the host stalled, the process was stopped): neighbors
   * could not be probed nor their replies read, so the gap beyond STALL_MS is added to each one's
   * last confirmation, and the probes now due go at once. A host that really left is still
   * withdrawn holdtime after it last answered, counted in time the agent was running.
   */
  private creditStall(now: number): void {
    const last = this.lastTickAt;
    this.lastTickAt = now;
    if (last === undefined || now - last <= STALL_MS) return;
    const gap = now - last;
    const stalled = gap - STALL_MS;
    let credited = 0;
    for (const n of this.neighbors.values()) {
      if (n.permanent) continue;
      // the stall beyond a second does not count; a neighbor heard of during it is counted from now
      n.confirmedAt = Math.min(now, n.confirmedAt + stalled);
      n.nextProbeAt = Math.min(n.nextProbeAt, now);
      credited += 1;
    }
    if (credited === 0) return;
    const seconds = (gap / 1000).toFixed(1);
    this.logger.log('WARNING', `the agent did not run for ${seconds}s (a stalled host or a stopped process): ${credited} neighbors keep their routes and are asked again now`);
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
    const known = this.neighbors.get(ev.ip);
    // what a read back begun before this event says of the address is stale, unless the event is
    // a routed host's usual answer (live, same port): then the read and the agent agree on it
    if (!(known && known.dev === ev.dev && !ev.router && !ev.deleted && LIVE_STATES.has(ev.state))) this.touch(ev.ip, now);
    this.debugArp(ev.dev, ev.ip, `${ev.deleted ? 'deleted ' : ''}${ev.ip} ${ev.mac ?? '-'}${ev.router ? ' router' : ''} ${ev.state}`);
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

  /** `found`: why a route already in place is kept (at start, or found by a read back). */
  private track(ev: NeighborEvent, now: number, how: 'add' | 'kept', found = 'at start'): void {
    this.touch(ev.ip, now);
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
      this.logger.log('INFO', `route kept ${host(n.ip)} dev ${n.dev} table ${tableName(table)}: neighbor ${ev.state} ${found}`);
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
    this.touch(n.ip, now);
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
    this.touch(n.ip, now);
    this.kernel.deleteRoute(n.ip, n.dev, table);
    if (deleteNeighbor) this.kernel.deleteNeighbor(n.ip, n.dev);
    this.logger.log('INFO', `route del ${host(n.ip)} dev ${n.dev} table ${tableName(table)}: ${reason}`);
    if (now === undefined) return;
    const times = `learned ${iso(n.learnedAt)} confirmed ${iso(n.confirmedAt)} probed ${iso(n.probedAt)} failed ${iso(n.failedAt)} withdrawn ${iso(now)}`;
    this.logger.log('INFO', `timeline ${n.ip} dev ${n.dev}: ${times}`);
    const w = this.wanted.get(n.ip);
    if (w && w.dev === n.dev) w.nextSolicitAt = now;
  }

  private reinstall(n: Neighbor, now: number): void {
    this.touch(n.ip, now);
    const table = this.tableOf(n.ip);
    this.kernel.replaceRoute(n.ip, n.dev, table);
    this.logger.log('INFO', `route add ${host(n.ip)} dev ${n.dev} table ${tableName(table)}: missing from the table`);
  }

  /** Reads the tables back twice a holdtime (sooner when a route event asks), and acts on the last read's answer. */
  private audit(now: number): void {
    const done = this.auditResult;
    if (done) {
      this.auditResult = undefined;
      this.settle(done.tables, now, { atStart: false, since: done.since });
    }
    if (this.auditStartedAt !== undefined && now - this.auditStartedAt >= AUDIT_LOST_MS) {
      // its answer, if it ever comes, is dropped: the epoch moves on
      this.epoch += 1;
      this.auditStartedAt = undefined;
      this.logger.log('ERROR', `reading the tables back took over ${AUDIT_LOST_MS / 1000}s; reading them again`);
    }
    if (this.auditStartedAt !== undefined || now < this.auditNextAt) return;
    this.auditStartedAt = now;
    this.auditNextAt = now + this.auditEveryMs();
    const epoch = this.epoch;
    this.kernel.readTables().then(
      (tables) => {
        if (epoch !== this.epoch) return;
        this.auditResult = { tables, since: now };
        this.auditStartedAt = undefined;
      },
      (err: unknown) => {
        if (epoch !== this.epoch) return;
        this.auditStartedAt = undefined;
        // the next read tries again; say so once a minute, not every holdtime
        if (now - this.auditFailedSaidAt < 60_000) return;
        this.auditFailedSaidAt = now;
        this.logger.log('ERROR', `reading the tables back failed: ${String((err as Error)?.message ?? err).split('\n').join(' ')}`);
      },
    );
  }

  /**
   * Twice a holdtime: a route whose event was lost (or never came) still goes within one
   * holdtime, read and tick included. A read is `ip neigh show` and `ip route show table all`,
   * some 5 ms of CPU on a leaf with 600 routes.
   */
  private auditEveryMs(): number {
    return (this.cfg.holdtime * 1000) / 2;
  }

  /**
   * What the kernel holds against what the agent knows: neighbors, then its routes, then routes it cannot
   * explain. Addresses the agent touched at or after `since` are left for the next read (what
   * it read may be older than what it did).
   */
  private settle(tables: KernelTables, now: number, mode: ReconcileMode): void {
    const freshIps = new Set([...this.touched].filter(([, at]) => at >= mode.since).map(([ip]) => ip));
    const fresh = (ip: string) => freshIps.has(ip);
    /** what this settle already did to a route: deleted `ip dev` (any metric), replaced the route of `ip` at the agent's metric */
    const deleted = new Set<string>();
    const replaced = new Set<string>();
    const live = new Map(tables.neighbors.filter((n) => !n.deleted && LIVE_STATES.has(n.state) && this.isHost(n)).map((n) => [n.ip, n]));
    for (const n of [...this.neighbors.values()]) {
      if (live.has(n.ip) || fresh(n.ip)) continue;
      deleted.add(`${n.ip} ${n.dev}`);
      this.withdraw(n, 'neighbor no longer in the kernel table', false, now);
    }
    // events may have been missed: every expected address still unknown is asked for again
    if (mode.atStart) for (const w of this.wanted.values()) w.nextSolicitAt = now;
    const installed = new Set(tables.routes.filter((r) => this.isOwnKind(r)).map((r) => `${r.dst} ${r.dev}`));
    for (const ev of live.values()) {
      if (fresh(ev.ip)) continue;
      const known = this.neighbors.get(ev.ip);
      if (!known) {
        const how = installed.has(`${ev.ip} ${ev.dev}`) ? 'kept' : 'add';
        if (how === 'add') replaced.add(ev.ip);
        this.track(ev, now, how, mode.atStart ? 'at start' : 'found in the kernel table');
        continue;
      }
      if (known.dev !== ev.dev) replaced.add(ev.ip);
      if (known.dev !== ev.dev || mode.atStart) this.refresh(known, ev, now);
      if (installed.has(`${known.ip} ${known.dev}`)) continue;
      replaced.add(known.ip);
      this.reinstall(known, now);
    }
    for (const r of tables.routes) {
      if (!this.answersFor(r) || this.isOwnRoute(r) || fresh(r.dst)) continue;
      // the agent's own delete or replace above has already taken it: a second delete would fail
      if (this.isOwnKind(r) && (deleted.has(`${r.dst} ${r.dev}`) || (replaced.has(r.dst) && isAgentMetric(r)))) continue;
      this.removeStray(r, now, mode.atStart);
    }
    if (!mode.atStart) for (const [ip, at] of this.touched) if (at < mode.since) this.touched.delete(ip);
  }

  /** The number of a table as iproute2 names it. */
  private static tableNumber(name: string): number {
    return TABLE_NUMBERS[name] ?? Number(name);
  }

  /** A route of the agent's tables that is its to explain: all of a table of its own, only its protocol's in a shared one. */
  private answersFor(r: TableRoute): boolean {
    const table = r.family === 6 ? this.cfg.ipv6_route_table : this.cfg.route_table;
    if (Agent.tableNumber(r.table) !== table) return false;
    return !SHARED_TABLES.has(table) || r.proto === RDNBRD_PROTO;
  }

  /** A host route of the agent's kind: its protocol, a plain unicast route by a port, in its family's table. */
  private isOwnKind(r: TableRoute): boolean {
    return this.answersFor(r) && r.proto === RDNBRD_PROTO && !r.type && !r.multipath && r.dev !== undefined && r.length === hostLength(r.dst);
  }

  /** A route the agent made and still wants: its kind, for a neighbor it routes, by that neighbor's port. */
  private isOwnRoute(r: TableRoute): boolean {
    return this.isOwnKind(r) && this.neighbors.get(r.dst)?.dev === r.dev;
  }

  /** `route del ... : stray, ...`: a route the agent cannot explain, gone. */
  private removeStray(r: TableRoute, now: number, atStart: boolean): void {
    this.touch(r.dst, now);
    // one of its own kind goes the way its own routes go; anything else exactly as listed
    if (this.isOwnKind(r)) this.kernel.deleteRoute(r.dst, r.dev!, Agent.tableNumber(r.table));
    else this.kernel.removeRoute(r);
    const prefix = r.dst === 'default' ? 'default' : `${r.dst}/${r.length}`;
    const dev = r.dev && !r.multipath ? ` dev ${r.dev}` : '';
    let reason: string;
    if (!this.isOwnKind(r)) reason = `stray, not the agent's (${[r.type, `proto ${protoName(r.proto)}`, r.multipath ? 'multipath' : undefined].filter(Boolean).join(', ')})`;
    else if (this.neighbors.has(r.dst)) reason = `stray, neighbor is on ${this.neighbors.get(r.dst)!.dev}`;
    else reason = atStart ? 'stale at start, no live neighbor' : 'stray, no live neighbor';
    this.logger.log('INFO', `route del ${prefix}${dev} table ${tableName(Agent.tableNumber(r.table))}: ${reason}`);
  }

  /** `now` is undefined on a stop or a reload: a reconcile follows, and it reads everything afresh. */
  private touch(ip: string, now: number | undefined): void {
    if (now !== undefined) this.touched.set(ip, now);
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

/** The metric the agent's routes get (it gives none): IPv4's 0, which ip leaves out, IPv6's 1024. */
function isAgentMetric(r: TableRoute): boolean {
  return r.metric === undefined || r.metric === (r.family === 6 ? '1024' : '0');
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
