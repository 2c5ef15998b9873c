/**
 * `cldemo events`: what happens in the fabric as it happens. Servers report container
 * starts and stops through Docker's event stream; every switch runs one `ip monitor` for
 * ARP entries and /32 routes; BGP sessions are read once a second. Every source turns into
 * one FabricEvent object with a timestamp. The line parsers and state trackers are pure.
 */
import { inCidr, parseCidr, parseIpv4 } from '../topology/ip.js';
import type { Plan, ServerPlan, SwitchPlan } from '../topology/types.js';
import { NodeError } from '../errors.js';
import type { ContainerEvent } from '../transport/docker-engine.js';
import type { LineStream } from '../transport/ssh.js';
import type { FabricContext } from './context.js';
import { LABEL_TOPOLOGY } from './servers.js';

export type FabricEvent =
  | { time: string; type: 'container'; node: string; action: string; container: string; ip?: string; exit_code?: number }
  | { time: string; type: 'arp'; node: string; action: 'learned' | 'failed' | 'deleted'; ip: string; dev: string; state: string; container?: string }
  | { time: string; type: 'route'; node: string; action: 'added' | 'withdrawn'; prefix: string; table: string; proto?: string; container?: string }
  | { time: string; type: 'bgp'; node: string; action: 'up' | 'down'; peer: string; hostname?: string; state: string }
  | { time: string; type: 'watch'; node: string; action: 'started' | 'lost'; error?: string };

export type EventSink = (e: FabricEvent) => void;

const LIVE = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT']);
const NUD = new Set([...LIVE, 'FAILED', 'INCOMPLETE', 'NOARP', 'NONE']);
const MARK = '@@cldemo-events@@';
const BGP_POLL_MS = 1000;

/** The switch's command: its current /32s and neighbors (to know what is new), then the monitor. */
export function monitorCommand(): string {
  return `ip -o -4 route show table all; ip -o -4 neigh show; echo ${MARK}; exec ip -o -4 monitor neigh route`;
}

/**
 * One switch's view, fed `ip -o` lines: which container /32s it holds (in any table) and
 * which container addresses it has a live ARP entry for. Emits only real changes.
 */
export class SwitchWatch {
  private readonly routes = new Map<string, Set<string>>(); // prefix -> tables holding it
  private readonly neighbors = new Map<string, string>(); // ip@dev -> state
  private seeding = true;
  private readonly subnet;
  private readonly names: Map<string, string>;

  constructor(
    private readonly plan: Plan,
    private readonly node: string,
    private readonly emit: EventSink,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.subnet = parseCidr(plan.subnet)!;
    this.names = new Map(plan.containers.map((c) => [c.ip, c.name]));
  }

  /** /32s held now; the page's per-switch counts start from here. */
  held(): string[] {
    return [...this.routes.keys()];
  }

  line(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    if (line === MARK) {
      this.seeding = false;
      return;
    }
    const words = line.split(/\s+/);
    const deleted = words[0] === 'Deleted';
    if (deleted) words.shift();
    // a neighbor line always carries its NUD state in capitals; a route line never does
    if (words.includes('lladdr') || words.some((w) => NUD.has(w))) {
      this.neighbor(words, deleted);
    } else {
      this.route(words, deleted);
    }
  }

  private inSubnet(ip: string): boolean {
    const n = parseIpv4(ip);
    return n !== null && inCidr(n, this.subnet);
  }

  private route(words: string[], deleted: boolean): void {
    let dst = words[0];
    if (['local', 'broadcast', 'unicast', 'multicast', 'unreachable', 'blackhole'].includes(dst)) return;
    if (dst?.endsWith('/32')) dst = dst.slice(0, -3);
    if (!dst || dst.includes('/') || !this.inSubnet(dst)) return;
    const table = after(words, 'table') ?? 'main';
    const proto = after(words, 'proto');
    const prefix = `${dst}/32`;
    const tables = this.routes.get(prefix) ?? new Set<string>();
    const had = tables.size > 0;
    if (deleted) tables.delete(table);
    else tables.add(table);
    if (tables.size) this.routes.set(prefix, tables);
    else this.routes.delete(prefix);
    if (this.seeding || had === tables.size > 0) return;
    const container = this.names.get(dst);
    this.emit({ time: this.now().toISOString(), type: 'route', node: this.node, action: had ? 'withdrawn' : 'added', prefix, table, ...(proto ? { proto } : {}), ...(container ? { container } : {}) });
  }

  private neighbor(words: string[], deleted: boolean): void {
    const ip = words[0];
    const dev = after(words, 'dev');
    if (!ip || !dev || !this.inSubnet(ip) || words.includes('proxy')) return;
    const state = words.find((w) => NUD.has(w)) ?? 'NONE';
    const key = `${ip}@${dev}`;
    const before = this.neighbors.get(key);
    const wasLive = before !== undefined && LIVE.has(before);
    if (deleted) this.neighbors.delete(key);
    else this.neighbors.set(key, state);
    if (this.seeding) return;
    const isLive = !deleted && LIVE.has(state);
    let action: 'learned' | 'failed' | 'deleted' | undefined;
    if (isLive && !wasLive) action = 'learned';
    else if (!deleted && (state === 'FAILED' || state === 'INCOMPLETE') && before !== state) action = 'failed';
    else if (deleted && before !== undefined) action = 'deleted';
    if (!action) return;
    const container = this.names.get(ip);
    this.emit({ time: this.now().toISOString(), type: 'arp', node: this.node, action, ip, dev, state: deleted ? 'DELETED' : state, ...(container ? { container } : {}) });
  }
}

function after(words: string[], key: string): string | undefined {
  const i = words.indexOf(key);
  return i >= 0 ? words[i + 1] : undefined;
}

/** BGP sessions of one switch, fed `show ip bgp summary json`; emits up and down. */
export class BgpWatch {
  private states?: Map<string, { state: string; hostname?: string }>;

  constructor(
    private readonly node: string,
    private readonly emit: EventSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  summary(text: string): void {
    let doc: { ipv4Unicast?: { peers?: Record<string, { state?: string; hostname?: string }> }; peers?: Record<string, { state?: string; hostname?: string }> };
    try {
      doc = JSON.parse(text.trim() || '{}');
    } catch {
      return;
    }
    const peers = doc.ipv4Unicast?.peers ?? doc.peers;
    if (!peers) return; // no answer is not "every session removed": bgpd busy or restarting
    const next = new Map(Object.entries(peers).map(([name, p]) => [name, { state: p.state ?? 'unknown', hostname: p.hostname }]));
    const first = this.states === undefined;
    const prev = this.states ?? new Map();
    this.states = next;
    if (first) return;
    for (const [peer, p] of next) {
      const was = prev.get(peer)?.state === 'Established';
      const is = p.state === 'Established';
      if (was !== is) this.emit({ time: this.now().toISOString(), type: 'bgp', node: this.node, action: is ? 'up' : 'down', peer, ...(p.hostname ? { hostname: p.hostname } : {}), state: p.state });
    }
    for (const [peer, p] of prev) {
      if (!next.has(peer) && p.state === 'Established') this.emit({ time: this.now().toISOString(), type: 'bgp', node: this.node, action: 'down', peer, ...(p.hostname ? { hostname: p.hostname } : {}), state: 'removed' });
    }
  }
}

// kill is left out: a stop says kill, die and stop; die carries the exit code
const CONTAINER_ACTIONS = new Set(['create', 'start', 'stop', 'die', 'destroy', 'pause', 'unpause']);

export function containerEvent(plan: Plan, server: string, d: ContainerEvent): FabricEvent | undefined {
  if (!CONTAINER_ACTIONS.has(d.action)) return undefined;
  const ip = plan.containers.find((c) => c.name === d.container)?.ip;
  const exit = d.exitCode;
  return { time: new Date(Math.floor(d.at)).toISOString(), type: 'container', node: server, action: d.action, container: d.container, ...(ip ? { ip } : {}), ...(exit !== undefined && d.action === 'die' ? { exit_code: exit } : {}) };
}

export interface EventWatch {
  /** resolves once every source is watching (or has said why it cannot) */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Starts every source; events go to `sink` until `stop`. A lost source is an event, not a crash. */
export function watchFabric(ctx: FabricContext, sink: EventSink): EventWatch {
  const stops: Array<() => void> = [];
  let stopped = false;
  const lost = (node: string, e: unknown) => {
    if (!stopped) sink({ time: new Date().toISOString(), type: 'watch', node, action: 'lost', error: e instanceof Error ? e.message : String(e) });
  };
  const started = [
    ...ctx.plan.switches.map((sw) => watchSwitch(ctx, sw, sink, stops, () => stopped).catch((e) => lost(sw.name, e))),
    ...ctx.plan.servers.map((s) => watchServer(ctx, s, sink, stops).catch((e) => lost(s.name, e))),
  ];
  return {
    ready: Promise.all(started).then(() => undefined),
    async stop() {
      stopped = true;
      for (const s of stops) s();
    },
  };
}

async function watchSwitch(ctx: FabricContext, sw: SwitchPlan, sink: EventSink, stops: Array<() => void>, isStopped: () => boolean): Promise<void> {
  const conn = await ctx.connect(sw);
  if (!conn.stream) throw new NodeError(sw.name, 'this connection cannot stream a monitor');
  const watch = new SwitchWatch(ctx.plan, sw.name, sink);
  let seeded!: () => void;
  const ready = new Promise<void>((r) => (seeded = r));
  const monitor: LineStream = conn.stream(monitorCommand(), (l) => {
    watch.line(l);
    if (l.trim() === MARK) seeded();
  });
  stops.push(() => monitor.stop());
  monitor.done.then(
    (code) => {
      seeded();
      if (!isStopped()) sink({ time: new Date().toISOString(), type: 'watch', node: sw.name, action: 'lost', error: `ip monitor ended (exit ${code})` });
    },
    () => seeded(),
  );
  const bgp = new BgpWatch(sw.name, sink);
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    if (isStopped()) return;
    const r = await conn.exec("vtysh -c 'show ip bgp summary json' 2>/dev/null", { timeoutMs: 5000 }).catch(() => undefined);
    if (r) bgp.summary(r.stdout);
    if (!isStopped()) timer = setTimeout(poll, BGP_POLL_MS);
  };
  stops.push(() => clearTimeout(timer));
  await Promise.all([ready, poll()]);
  sink({ time: new Date().toISOString(), type: 'watch', node: sw.name, action: 'started' });
}

async function watchServer(ctx: FabricContext, server: ServerPlan, sink: EventSink, stops: Array<() => void>): Promise<void> {
  const conn = await ctx.connect(server);
  const watch = await conn.docker().containerEvents({ label: `${LABEL_TOPOLOGY}=${ctx.plan.name}`, actions: [...CONTAINER_ACTIONS] }, (d) => {
    const e = containerEvent(ctx.plan, server.name, d);
    if (e) sink(e);
  });
  stops.push(() => watch.close());
  sink({ time: new Date().toISOString(), type: 'watch', node: server.name, action: 'started' });
}

/** One line for people: time, node, what. */
export function eventLine(e: FabricEvent): string {
  const t = e.time.slice(11, 23);
  const what = (() => {
    switch (e.type) {
      case 'container':
        return `container ${e.action} ${e.container}${e.exit_code !== undefined ? ` (exit ${e.exit_code})` : ''}`;
      case 'arp':
        return `arp ${e.action} ${e.ip} on ${e.dev} (${e.state})${e.container ? ` ${e.container}` : ''}`;
      case 'route':
        return `route ${e.action} ${e.prefix} table ${e.table}${e.proto ? ` proto ${e.proto}` : ''}${e.container ? ` ${e.container}` : ''}`;
      case 'bgp':
        return `bgp ${e.action} ${e.peer}${e.hostname ? ` (${e.hostname})` : ''} ${e.state}`;
      case 'watch':
        return `watch ${e.action}${e.error ? `: ${e.error}` : ''}`;
    }
  })();
  return `${t}  ${e.node.padEnd(10)} ${what}`;
}
