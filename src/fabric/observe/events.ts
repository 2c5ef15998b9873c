/**
 * `cldemo events`: what happens in the fabric as it happens. Servers report container
 * starts and stops through Docker's event stream; every switch runs one `ip monitor` for
 * ARP entries, /32 routes and its ports' links; BGP sessions (and BFD ones, where the topology
 * turns BFD on) are read once a second. Every source turns into
 * one FabricEvent object with a timestamp. The line parsers and state trackers are pure.
 */
import { inCidr, inCidr6, parseCidr, parseCidr6, parseIpv4, parseIpv6 } from '../../topology/ip.js';
import type { Plan, ServerPlan, SwitchPlan } from '../../topology/types.js';
import { NodeError } from '../../errors.js';
import type { ContainerEvent } from '../../transport/docker-engine.js';
import type { LineStream } from '../../transport/node-connection.js';
import type { FabricContext } from '../context.js';
import { LABEL_TOPOLOGY } from '../labels.js';
import type { FabricEvent } from './formats.js';
import { platformOf, type BgpPeer, type ShowCommands } from '../../platforms/index.js';
import { LIVE_STATES, type KernelRoute, type MonitorEvent, type NeighborEvent } from '../../rdnbrd/ip-lines.js';
import { BfdWatch, LinkWatch } from './link-events.js';

export type EventSink = (e: FabricEvent) => void;

const MARK = '@@cldemo-events@@';
const BGP_POLL_MS = 1000;

/** The switch's command: its current /32s and neighbors (to know what is new), then the monitor. */
function monitorCommand(sw: SwitchPlan): string {
  return platformOf(sw).show.changes.command(MARK);
}

/**
 * One switch's view, fed the lines of the change stream of its platform (`show.changes`):
 * which container /32s it holds (in any table) and which container addresses it has a live
 * ARP entry for. Emits only real changes. After
 * `resync` (a monitor started again), the next dump is compared with what was held before
 * it, and each difference is emitted: what changed while nobody was watching.
 */
export class SwitchWatch {
  private routes = new Map<string, Set<string>>(); // prefix -> tables holding it
  private neighbors = new Map<string, string>(); // ip@dev -> state
  private seeding = true;
  /** what was held before a resync, until the new dump ends */
  private previous?: { routes: Map<string, Set<string>>; neighbors: Map<string, string> };
  private readonly subnet;
  /** dual stack: the containers' IPv6 prefix */
  private readonly prefix6;
  private readonly names: Map<string, string>;
  private readonly parse: (line: string) => MonitorEvent | undefined;
  private readonly links: LinkWatch;

  constructor(
    private readonly plan: Plan,
    private readonly node: string,
    private readonly emit: EventSink,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.subnet = parseCidr(plan.subnet)!;
    this.prefix6 = plan.ipv6 ? parseCidr6(plan.ipv6.prefix) : null;
    this.names = new Map(plan.containers.flatMap((c) => [[c.ip, c.name], ...(c.ip6 ? [[c.ip6, c.name] as const] : [])]));
    const sw = plan.switches.find((s) => s.name === node)!;
    this.parse = platformOf(sw).show.changes.parse;
    this.links = new LinkWatch(sw, emit, now);
  }

  /** /32s held now; the page's per-switch counts start from here. */
  held(): string[] {
    return [...this.routes.keys()];
  }

  /** A new dump follows: what is held now is kept aside (unless no dump has ended yet) to compare with it. */
  resync(): void {
    this.links.resync(!this.seeding);
    if (!this.seeding) this.previous = { routes: this.routes, neighbors: this.neighbors };
    this.routes = new Map();
    this.neighbors = new Map();
    this.seeding = true;
  }

  line(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    if (line === MARK) {
      this.seeding = false;
      const previous = this.previous;
      this.previous = undefined;
      if (previous) this.catchUp(previous);
      this.links.dumpEnded();
      return;
    }
    const ev = this.parse(line);
    if (ev?.kind === 'neigh') this.neighbor(ev);
    else if (ev?.kind === 'route') this.route(ev);
    else if (ev?.kind === 'link') this.links.line(ev, this.seeding);
  }

  /** Every difference between what was held before the dump and what the dump says. */
  private catchUp(before: { routes: Map<string, Set<string>>; neighbors: Map<string, string> }): void {
    for (const [prefix, tables] of before.routes) if (!this.routes.has(prefix)) this.emitRoute('withdrawn', prefix, [...tables][0]);
    for (const [prefix, tables] of this.routes) if (!before.routes.has(prefix)) this.emitRoute('added', prefix, [...tables][0]);
    for (const key of new Set([...before.neighbors.keys(), ...this.neighbors.keys()])) {
      const [ip, dev] = key.split('@');
      this.emitNeighbor(ip, dev, before.neighbors.get(key), this.neighbors.get(key));
    }
  }

  /** A container address: in the IPv4 subnet, or (dual stack) in the IPv6 prefix. */
  private inSubnet(ip: string): boolean {
    if (ip.includes(':')) {
      const n = this.prefix6 ? parseIpv6(ip) : null;
      return n !== null && inCidr6(n, this.prefix6!);
    }
    const n = parseIpv4(ip);
    return n !== null && inCidr(n, this.subnet);
  }

  private route({ ip, table, proto, deleted }: KernelRoute): void {
    if (!this.inSubnet(ip)) return;
    const prefix = `${ip}/${ip.includes(':') ? 128 : 32}`;
    const tables = this.routes.get(prefix) ?? new Set<string>();
    const had = tables.size > 0;
    if (deleted) tables.delete(table);
    else tables.add(table);
    if (tables.size) this.routes.set(prefix, tables);
    else this.routes.delete(prefix);
    if (this.seeding || had === tables.size > 0) return;
    this.emitRoute(had ? 'withdrawn' : 'added', prefix, table, proto);
  }

  private emitRoute(action: 'added' | 'withdrawn', prefix: string, table: string, proto?: string): void {
    const container = this.names.get(prefix.split('/')[0]);
    this.emit({ time: this.now().toISOString(), type: 'route', node: this.node, action, prefix, table, ...(proto ? { proto } : {}), ...(container ? { container } : {}) });
  }

  private neighbor({ ip, dev, state, deleted }: NeighborEvent): void {
    if (!this.inSubnet(ip)) return;
    const key = `${ip}@${dev}`;
    const before = this.neighbors.get(key);
    if (deleted) this.neighbors.delete(key);
    else this.neighbors.set(key, state);
    if (!this.seeding) this.emitNeighbor(ip, dev, before, deleted ? undefined : state);
  }

  /** An ARP event when the entry's state changed in a way that counts; `now` undefined: the entry is gone. */
  private emitNeighbor(ip: string, dev: string, before: string | undefined, now: string | undefined): void {
    const wasLive = before !== undefined && LIVE_STATES.has(before);
    let action: 'learned' | 'failed' | 'deleted' | undefined;
    if (now !== undefined && LIVE_STATES.has(now) && !wasLive) action = 'learned';
    else if ((now === 'FAILED' || now === 'INCOMPLETE') && before !== now) action = 'failed';
    else if (now === undefined && before !== undefined) action = 'deleted';
    if (!action) return;
    const container = this.names.get(ip);
    this.emit({ time: this.now().toISOString(), type: 'arp', node: this.node, action, ip, dev, state: now ?? 'DELETED', ...(container ? { container } : {}) });
  }
}

/** BGP sessions of one switch, fed its platform's BGP summary; emits up and down. */
export class BgpWatch {
  private states?: Map<string, { state: string; hostname?: string }>;

  constructor(
    private readonly node: string,
    private readonly show: ShowCommands['bgp'],
    private readonly emit: EventSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  summary(text: string): void {
    let peers: BgpPeer[] | undefined;
    try {
      peers = this.show.parse(text);
    } catch {
      return;
    }
    if (!peers) return; // no answer is not "every session removed": bgpd busy or restarting
    const next = new Map(peers.map((p) => [p.name, { state: p.state, hostname: p.hostname }]));
    const first = this.states === undefined;
    const prev = this.states ?? new Map();
    this.states = next;
    if (first) return;
    for (const [peer, p] of next) {
      const was = prev.get(peer)?.state === 'Established';
      const is = p.state === 'Established';
      if (was !== is) this.emitBgp(is ? 'up' : 'down', peer, p.hostname, p.state);
    }
    for (const [peer, p] of prev) {
      if (!next.has(peer) && p.state === 'Established') this.emitBgp('down', peer, p.hostname, 'removed');
    }
  }

  private emitBgp(action: 'up' | 'down', peer: string, hostname: string | undefined, state: string): void {
    this.emit({ time: this.now().toISOString(), type: 'bgp', node: this.node, action, peer, ...(hostname ? { hostname } : {}), state });
  }
}

// kill is left out: a stop says kill, die and stop; die carries the exit code
const CONTAINER_ACTIONS = new Set(['create', 'start', 'stop', 'die', 'destroy', 'pause', 'unpause']);

export function containerEvent(plan: Plan, server: string, d: ContainerEvent): FabricEvent | undefined {
  if (!CONTAINER_ACTIONS.has(d.action)) return undefined;
  const ip = plan.containers.find((c) => c.name === d.container)?.ip;
  const exit = d.exitCode;
  const time = new Date(Math.floor(d.at)).toISOString();
  const code = exit !== undefined && d.action === 'die' ? { exit_code: exit } : {};
  return { time, type: 'container', node: server, action: d.action, container: d.container, ...(ip ? { ip } : {}), ...code };
}

export interface EventWatch {
  /** resolves once every source is watching (or has said why it cannot) */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface WatchOptions {
  /** waits between attempts to resume a lost source, the last one repeated (default 1, 2, 5, 10, 30 s) */
  backoffMs?: number[];
}

const BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000];
/** a source that stayed up this long starts its backoff again from the first wait */
const STEADY_MS = 60_000;

/**
 * Starts every source; events go to `sink` until `stop`. A source that ends (a monitor that
 * exits, a Docker stream that closes, a node that drops its connection) is reported
 * `watch lost` once, retried with a growing wait, and reported `watch resumed` when back,
 * having caught up on what it missed: Docker replays the events since the last one seen
 * (`since=`, the replayed ones seen already dropped); a switch reports what differs between
 * its tables before and after.
 */
export function watchFabric(ctx: FabricContext, sink: EventSink, opts: WatchOptions = {}): EventWatch {
  const life = new Life(opts.backoffMs ?? BACKOFF_MS);
  const started = [
    ...ctx.plan.switches.map((sw) => follow(life, sw.name, sink, new SwitchSource(ctx, sw, sink, life))),
    ...ctx.plan.servers.map((s) => follow(life, s.name, sink, new DockerSource(ctx, s, sink))),
  ];
  return {
    ready: Promise.all(started).then(() => undefined),
    stop: async () => life.stop(),
  };
}

/** What the sources of one watch share: whether it was stopped, and waits that stop ends. */
class Life {
  stopped = false;
  private readonly stops = new Set<() => void>();

  constructor(readonly backoffMs: number[]) {}

  /** Runs `fn` at stop (at once if stopped already); the returned function cancels that. */
  onStop(fn: () => void): () => boolean {
    if (this.stopped) {
      fn();
      return () => false;
    }
    this.stops.add(fn);
    return () => this.stops.delete(fn);
  }

  /** Resolves after `ms`, or at once when the watch stops. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const cancel = this.onStop(() => done());
      const done = () => {
        clearTimeout(timer);
        cancel();
        resolve();
      };
    });
  }

  stop(): void {
    this.stopped = true;
    for (const fn of [...this.stops]) fn();
    this.stops.clear();
  }
}

/** One source of events: `open` starts it (rejects when it cannot), the session's `ended` says why it stopped by itself. */
interface Source {
  open(): Promise<{ ended: Promise<string>; close(): void; resumedSince?: string }>;
}

/**
 * Keeps one source going until the watch stops: the first attempt settles the returned
 * promise (started, or lost with why); after that a loss is said once, and the source is
 * opened again after each wait of the backoff until it answers (then `resumed`).
 */
function follow(life: Life, node: string, sink: EventSink, source: Source): Promise<void> {
  const say = (action: 'started' | 'lost' | 'resumed', extra: { error?: string; since?: string } = {}) => {
    if (!life.stopped) sink({ time: new Date().toISOString(), type: 'watch', node, action, ...extra });
  };
  let ready!: () => void;
  const first = new Promise<void>((r) => (ready = r));
  const run = async () => {
    let attempt = 0;
    let lost = false;
    let everUp = false;
    while (!life.stopped) {
      const session = await source.open().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      if (session instanceof Error) {
        if (!lost) say('lost', { error: session.message });
      } else {
        say(everUp ? 'resumed' : 'started', session.resumedSince ? { since: session.resumedSince } : {});
        everUp = true;
        ready();
        const up = Date.now();
        const why = await untilEnded(life, session);
        if (why === undefined) break;
        say('lost', { error: why });
        if (Date.now() - up >= STEADY_MS) attempt = 0;
      }
      lost = true;
      ready();
      await life.sleep(life.backoffMs[Math.min(attempt++, life.backoffMs.length - 1)]);
    }
  };
  void run().finally(() => ready());
  return first;
}

/** Why the session ended by itself; undefined when the watch was stopped (the session is then closed). */
async function untilEnded(life: Life, session: { ended: Promise<string>; close(): void }): Promise<string | undefined> {
  let cancel = () => false as boolean;
  const stopped = new Promise<undefined>((r) => {
    cancel = life.onStop(() => {
      session.close();
      r(undefined);
    });
  });
  const why = await Promise.race([session.ended, stopped]);
  cancel();
  return life.stopped ? undefined : why;
}

/** A switch: `ip monitor` over SSH (after a dump of its tables), and its BGP summary once a second. */
class SwitchSource implements Source {
  private readonly watch: SwitchWatch;
  private readonly bgp: BgpWatch;
  private readonly bfd?: BfdWatch;
  private polling = false;

  constructor(
    private readonly ctx: FabricContext,
    private readonly sw: SwitchPlan,
    sink: EventSink,
    private readonly life: Life,
  ) {
    this.watch = new SwitchWatch(ctx.plan, sw.name, sink);
    this.bgp = new BgpWatch(sw.name, platformOf(sw).show.bgp, sink);
    // bfdd runs only where the topology turns BFD on; elsewhere the command would only fail
    const bfd = platformOf(sw).show.bfd;
    if (ctx.plan.bgp.bfd && bfd) this.bfd = new BfdWatch(sw.name, bfd, sink);
  }

  async open(): Promise<{ ended: Promise<string>; close(): void }> {
    const conn = await this.ctx.connect(this.sw);
    if (!conn.stream) throw new NodeError(this.sw.name, 'this connection cannot stream a monitor');
    let seeded!: () => void;
    const dumped = new Promise<void>((r) => (seeded = r));
    this.watch.resync();
    const monitor: LineStream = conn.stream(monitorCommand(this.sw), (l) => {
      this.watch.line(l);
      if (l.trim() === MARK) seeded();
    });
    const ended = monitor.done.then(
      (code) => `ip monitor ended (exit ${code})`,
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    const before = await Promise.race([dumped.then(() => undefined), ended]);
    if (before !== undefined) throw new NodeError(this.sw.name, before.replace(`${this.sw.name}: `, ''));
    if (!this.polling) await this.startPolling();
    return { ended, close: () => monitor.stop() };
  }

  /** The BGP summary (and the BFD sessions) once a second until the watch stops, on whichever connection the pool has now. */
  private async startPolling(): Promise<void> {
    this.polling = true;
    let timer: NodeJS.Timeout | undefined;
    this.life.onStop(() => clearTimeout(timer));
    const { show } = platformOf(this.sw);
    const ask = async (command: string) => {
      const conn = await this.ctx.connect(this.sw).catch(() => undefined);
      return (await conn?.exec(command, { timeoutMs: 5000 }).catch(() => undefined))?.stdout;
    };
    const poll = async () => {
      if (this.life.stopped) return;
      const [bgp, bfd] = await Promise.all([ask(show.bgp.command()), this.bfd && show.bfd ? ask(show.bfd.command()) : undefined]);
      if (bgp !== undefined) this.bgp.summary(bgp);
      if (bfd !== undefined) this.bfd?.peers(bfd);
      if (!this.life.stopped) timer = setTimeout(poll, BGP_POLL_MS);
    };
    await poll();
  }
}

/** A server: Docker's container events, resumed from the last one seen. */
class DockerSource implements Source {
  private readonly cursor = new EventCursor();

  constructor(
    private readonly ctx: FabricContext,
    private readonly server: ServerPlan,
    private readonly sink: EventSink,
  ) {}

  async open(): Promise<{ ended: Promise<string>; close(): void; resumedSince?: string }> {
    const conn = await this.ctx.connect(this.server);
    const since = this.cursor.resumeFrom();
    const stream = await conn.docker().containerEvents({ label: `${LABEL_TOPOLOGY}=${this.ctx.plan.name}`, actions: [...CONTAINER_ACTIONS], since }, (d) => {
      if (!this.cursor.accept(d)) return;
      const e = containerEvent(this.ctx.plan, this.server.name, d);
      if (e) this.sink(e);
    });
    this.cursor.streamStarted(stream.startedAt ?? Date.now());
    return { ended: stream.ended, close: () => stream.close(), ...(since !== undefined ? { resumedSince: new Date(since).toISOString() } : {}) };
  }
}

/**
 * Where a Docker event stream resumes, and which replayed events were seen already. Docker
 * replays every event at or after `since` that it still holds (the last 256), so a resume
 * asks from just before the last event seen (or the first stream's start, when none was),
 * and drops what it had: an event is its container, action and time.
 */
class EventCursor {
  private first?: number;
  private last?: number;
  /** recent events seen, key -> time; only those a replay can repeat are kept */
  private readonly seen = new Map<string, number>();

  /** the engine's clock when a stream began; the first one is where a resume starts when no event came */
  streamStarted(at: number): void {
    this.first ??= at;
  }

  /** `since` for the next stream: undefined for the first one */
  resumeFrom(): number | undefined {
    if (this.first === undefined) return undefined;
    return Math.max(this.first, (this.last ?? -Infinity) - 1);
  }

  /** false for an event seen already (a replay) */
  accept(e: ContainerEvent): boolean {
    const key = `${e.id ?? e.container} ${e.action} ${e.at}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, e.at);
    this.last = Math.max(this.last ?? e.at, e.at);
    for (const [k, at] of this.seen) if (at < this.last - 5000) this.seen.delete(k);
    return true;
  }
}

/** One line for people: time, node, what. */
export function eventLine(e: FabricEvent): string {
  const t = e.time.slice(11, 23);
  const what = (() => {
    switch (e.type) {
      case 'container':
        return `container ${e.action} ${e.container}${e.exit_code !== undefined ? ` (exit ${e.exit_code})` : ''}`;
      case 'arp': // an IPv6 neighbor discovery entry says nd, as the agent's log does
        return `${e.ip.includes(':') ? 'nd' : 'arp'} ${e.action} ${e.ip} on ${e.dev} (${e.state})${e.container ? ` ${e.container}` : ''}`;
      case 'route':
        return `route ${e.action} ${e.prefix} table ${e.table}${e.proto ? ` proto ${e.proto}` : ''}${e.container ? ` ${e.container}` : ''}`;
      case 'bgp':
        return `bgp ${e.action} ${e.peer}${e.hostname ? ` (${e.hostname})` : ''} ${e.state}`;
      case 'link':
        return `link ${e.action} ${e.dev}${e.peer ? ` (to ${e.peer})` : ''}`;
      case 'bfd':
        return `bfd ${e.action} ${e.peer}${e.interface ? ` on ${e.interface}` : ''} ${e.state}`;
      case 'watch':
        return `watch ${e.action}${e.since ? ` (Docker events since ${e.since.slice(11, 23)} replayed, those seen dropped)` : ''}${e.error ? `: ${e.error}` : ''}`;
    }
  })();
  return `${t}  ${e.node.padEnd(10)} ${what}`;
}
