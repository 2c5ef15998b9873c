/**
 * Where each container's /32 (and, dual stack, its /128) is, switch by switch, from the
 * kernel's own change stream: one `ip -ts monitor route` per switch, both families (plus
 * `neigh` on leaves, for when the leaf learned the container's ARP or NDP entry). Addresses
 * are the keys: a container's IPv4 and IPv6 addresses are tracked apart. Events carry the switch's own timestamp, so the time an event
 * took to reach this process does not count; lab nodes share the host's clock with dockerd,
 * so these times compare directly with Docker's event times.
 *
 * A /32 counts on a switch where verify-routes looks for it: on the container's own leaf,
 * the redistribute-neighbor table; elsewhere, the BGP route in the main table. A /128 on its
 * own leaf is the agent's (proto 72) in the main table (FRR 8.4 imports no IPv6 table). A route that
 * changes next hops while present (ECMP filling in) keeps the time it first appeared.
 *
 * The lines are read by cldemo's own parser (the agent's), and a live ARP entry is what the
 * agent and `events` call live (NOARP is not: nothing answered), so "learned" means one thing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { LIVE_STATES, parseMonitorLine, parseStamped, RDNBRD_PROTO, type MonitorObject, type Plan } from 'cldemo/bench';

type Switch = Plan['switches'][number];

interface RouteState {
  present: boolean;
  since: number;
  /** when the state before this one began (none: this is the first known) */
  before?: number;
}

const run = async (cmd: string, args: string[]): Promise<string> => (await promisify(execFile)(cmd, args, { maxBuffer: 64 << 20 })).stdout;

/** what a leaf's monitor watches (a spine's, routes alone: the same lines) */
const ROUTE_WATCH: readonly MonitorObject[] = ['route', 'neigh'];

export class RouteWatch {
  private readonly table: string;
  private readonly leafOf: Map<string, string>;
  /** `${switch} ${ip}` -> { present, since, and since when the state before held } */
  private readonly state = new Map<string, RouteState>();

  /**
   * ip -> epoch ms when its leaf first gained a live ARP entry for it since it was last assumed
   * absent. The first, not the last: an entry that flaps (FAILED, then REACHABLE again) after
   * the agent installed the /32 would otherwise date the ARP entry after the route it caused.
   */
  readonly arpSince = new Map<string, number>();
  /** ips whose leaf holds a live ARP entry now */
  private readonly arpLive = new Set<string>();
  private children: ChildProcess[] = [];
  private readonly waiters = new Set<() => void>();
  /**
   * Host routes in a leaf's agent table (IPv4: the redistribute-neighbor table; IPv6: proto 72
   * in main) for an address that is none of that leaf's containers: `${leaf} ${ip}` -> whether
   * it is there now and since when. Nothing the agent learned can put one there.
   */
  readonly strays = new Map<string, { present: boolean; since: number }>();
  /** ip -> the times a stray for it was in some leaf's agent table (`to` Infinity while it is) */
  private readonly strayWindows = new Map<string, Array<{ from: number; to: number }>>();
  private readonly leaves: Set<string>;
  /**
   * `${switch} ${ip}` -> when (this process's clock) the monitor last reported a change of the
   * address's route (the state's kind) or of a stray for it: a dump begun before is older than that.
   */
  private readonly heard = new Map<string, number>();
  private readonly heardStray = new Map<string, number>();
  /** monitors that died: their switch's changes would go unseen */
  private readonly failures: string[] = [];
  private stopping = false;

  /**
   * @param plan the Plan (switches, containers, redistributeNeighbor.routeTable)
   * @param netnsOf switch name -> its network namespace (the lab's)
   */
  constructor(
    private readonly plan: Plan,
    private readonly netnsOf: (sw: string) => string,
    /** reads one family's routes of a switch (`-4` or `-6`), as `ip route show table all` prints them (tests give a stand-in) */
    private readonly dumpRoutes: (sw: string, family: string) => Promise<string> = (sw, family) => run('ip', ['-n', netnsOf(sw), family, 'route', 'show', 'table', 'all']),
  ) {
    this.table = String(plan.redistributeNeighbor.routeTable);
    this.leafOf = new Map(plan.containers.flatMap((c) => [[c.ip, c.leaf], ...(c.ip6 ? [[c.ip6, c.leaf] as const] : [])]));
    this.leaves = new Set(plan.switches.filter((sw) => sw.role === 'leaf').map((sw) => sw.name));
  }

  /** Starts the monitors; resolves once every one of them runs. */
  async start(): Promise<void> {
    await Promise.all(this.plan.switches.map((sw) => this.watch(sw)));
  }

  private watch(sw: Switch): Promise<void> {
    const objects: MonitorObject[] = sw.role === 'leaf' ? ['route', 'neigh'] : ['route'];
    const family = this.plan.ipv6 ? [] : ['-4'];
    const child = spawn('ip', ['-n', this.netnsOf(sw.name), '-ts', ...family, 'monitor', ...objects], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.failures.push(`${sw.name}: ip monitor exited (${code ?? signal}) ${stderr.trim()}`);
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(sw.name, line));
    return new Promise<void>((ready, fail) => {
      child.once('error', fail);
      child.once('spawn', () => setTimeout(ready, 100)); // ip subscribes right after exec
    });
  }

  /** One line of switch `sw`'s monitor (public for tests: the monitors feed it). */
  onLine(sw: string, line: string): void {
    const stamped = parseStamped(line);
    if (!stamped) return;
    const ev = parseMonitorLine(stamped.rest, ROUTE_WATCH);
    if (!ev || ev.kind === 'link') return;
    const leaf = this.leafOf.get(ev.ip);
    if (ev.kind === 'route' && leaf !== sw && this.leaves.has(sw) && this.agentTable(ev.ip, ev.table, ev.proto)) {
      const key = `${sw} ${ev.ip}`;
      this.heardStray.set(key, Date.now());
      this.setStray(key, !ev.deleted, stamped.at);
    }
    if (!leaf) return;
    if (ev.kind === 'neigh') {
      const live = !ev.deleted && LIVE_STATES.has(ev.state);
      if (sw === leaf && live && !this.arpLive.has(ev.ip)) {
        if (!this.arpSince.has(ev.ip)) this.arpSince.set(ev.ip, stamped.at);
        this.arpLive.add(ev.ip);
      } else if (sw === leaf && !live) this.arpLive.delete(ev.ip);
      return;
    }
    const own = this.agentTable(ev.ip, ev.table, ev.proto);
    const counts = sw === leaf ? own : ev.table === 'main' && ev.proto === 'bgp';
    if (!counts) return;
    const key = `${sw} ${ev.ip}`;
    this.heard.set(key, Date.now());
    const was = this.state.get(key);
    const present = !ev.deleted;
    if (!was || was.present !== present) this.state.set(key, { present, since: stamped.at, ...(was ? { before: was.since } : {}) });
    for (const w of this.waiters) w();
  }

  /**
   * Reads switch `sw`'s routes whole and corrects what the monitor left wrong: the kernel drops
   * the routes through a port that goes down without a word to `ip monitor`, so after pulling a
   * cable its ends are read again. A change found this way is dated when the read began. An
   * address the monitor reported a change of while the read was under way is left as the
   * monitor said: the read is older (a stray the agent removed just then would otherwise be
   * put back by the read, and stay there for the checker).
   */
  async resync(sw: string): Promise<void> {
    const at = Date.now();
    const families = this.plan.ipv6 ? ['-4', '-6'] : ['-4'];
    const dumps = await Promise.all(families.map((f) => this.dumpRoutes(sw, f)));
    const newer = (heard: Map<string, number>, key: string) => (heard.get(key) ?? -Infinity) >= at;
    const held = new Set<string>();
    const strays = new Set<string>();
    for (const line of dumps.join('\n').split('\n')) {
      const ev = parseMonitorLine(line, ['route']);
      if (!ev || ev.kind !== 'route') continue;
      const leaf = this.leafOf.get(ev.ip);
      if (leaf !== sw && this.leaves.has(sw) && this.agentTable(ev.ip, ev.table, ev.proto)) strays.add(ev.ip);
      if (leaf && (sw === leaf ? this.agentTable(ev.ip, ev.table, ev.proto) : ev.table === 'main' && ev.proto === 'bgp')) held.add(ev.ip);
    }
    for (const ip of this.leafOf.keys()) {
      const key = `${sw} ${ip}`;
      if (newer(this.heard, key)) continue;
      const was = this.state.get(key);
      if (was?.present !== held.has(ip)) this.state.set(key, { present: held.has(ip), since: at, ...(was ? { before: was.since } : {}) });
    }
    for (const [key, was] of this.strays) {
      if (!key.startsWith(`${sw} `) || newer(this.heardStray, key)) continue;
      if (was.present && !strays.has(key.slice(sw.length + 1))) this.setStray(key, false, at);
    }
    for (const ip of strays) {
      const key = `${sw} ${ip}`;
      if (!newer(this.heardStray, key)) this.setStray(key, true, at);
    }
    for (const w of this.waiters) w();
  }

  private setStray(key: string, present: boolean, at: number): void {
    if (this.strays.get(key)?.present === present) return;
    this.strays.set(key, { present, since: at });
    const ip = key.slice(key.indexOf(' ') + 1);
    const windows = this.strayWindows.get(ip) ?? [];
    this.strayWindows.set(ip, windows);
    const open = windows.find((w) => w.to === Infinity);
    // one window per address while a stray for it is in any leaf's table
    if (present && !open) windows.push({ from: at, to: Infinity });
    else if (!present && open && ![...this.strays].some(([k, st]) => st.present && k.endsWith(` ${ip}`))) open.to = at;
  }

  /**
   * Whether a stray for `ip` explains a wrong state of its route from `from` to `to`: it lies
   * within the time a stray for the address was in a leaf's table, plus `graceMs` for BGP to
   * carry the stray's removal. A leaf that holds a stray /32 of another rack's container
   * advertises it, so other switches hold it meanwhile (a stopped container's /32 comes back
   * until the stray goes); that is the stray's doing, which the stray's own deadline judges.
   */
  strayExplains(ip: string, from: number, to: number, graceMs: number): boolean {
    return (this.strayWindows.get(ip) ?? []).some((w) => from >= w.from && to <= w.to + graceMs);
  }

  /** Whether a host route for `ip` in `table` by `proto` is where a leaf's agent writes. */
  private agentTable(ip: string, table: string, proto: string | undefined): boolean {
    return ip.includes(':') ? table === 'main' && proto === RDNBRD_PROTO : table === this.table;
  }

  /** Declares what is true now (the monitors only report changes), e.g. all present after verify-routes. */
  assume(ips: string[], present: boolean): void {
    const now = Date.now();
    for (const sw of this.plan.switches) for (const ip of ips) this.state.set(`${sw.name} ${ip}`, { present, since: now });
    for (const ip of ips) {
      if (present) this.arpLive.add(ip);
      else {
        this.arpLive.delete(ip);
        this.arpSince.delete(ip);
      }
    }
  }

  /** Whether `ip`'s /32 is on switch `sw` now, since when (epoch ms), and since when the state before it held. */
  on(sw: string, ip: string): RouteState | undefined {
    return this.state.get(`${sw} ${ip}`);
  }

  /** When `ip` reached `present` on the last switch, or undefined while some switch differs. */
  everywhereSince(ip: string, present: boolean): number | undefined {
    let latest = -Infinity;
    for (const sw of this.plan.switches) {
      const s = this.state.get(`${sw.name} ${ip}`);
      if (!s || s.present !== present) return undefined;
      latest = Math.max(latest, s.since);
    }
    return latest;
  }

  /** Waits until every `ip` is `present` (or absent) on every switch; false on timeout. */
  waitEverywhere(ips: string[], present: boolean, timeoutMs: number): Promise<boolean> {
    const holds = () => ips.every((ip) => this.everywhereSince(ip, present) !== undefined);
    if (holds()) return Promise.resolve(true);
    return new Promise((done) => {
      const check = (): void => {
        if (!holds()) return;
        finish(true);
      };
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        done(ok);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Which ips are not yet `present` everywhere, and on which switches (for error messages). */
  lagging(ips: string[], present: boolean): string[] {
    const where = (ip: string): string[] => this.plan.switches.filter((sw) => this.state.get(`${sw.name} ${ip}`)?.present !== present).map((sw) => sw.name);
    const late = ips.filter((ip) => this.everywhereSince(ip, present) === undefined).map((ip) => `${ip} on ${where(ip).join(',')}`);
    return [...this.failures, ...late];
  }

  stop(): void {
    this.stopping = true;
    for (const c of this.children) c.kill('SIGTERM');
    this.children = [];
  }
}
