/**
 * Wires the Agent to the kernel: the monitor feeds it events, a timer drives its
 * probes and expiries, dumps reconcile it at start and on SIGHUP.
 */
import { isIpv6Text } from './address.js';
import { Agent, tableName } from './agent.js';
import { loadConfig, type RdnbrdConfig } from './config.js';
import { IpBatch, IpKernel, IpMonitor, ipOutput, PROXY_MONITOR, RDNBRD_PROTO } from './iproute.js';
import {
  parseLinkLine, parseNeighborLine, parseNetconfLine, parseProxyLine, parseRoutePath, parseTableRoute,
  type LinkEvent, type NeighborEvent, type RoutePath, type TableRoute,
} from './ip-lines.js';
import type { Logger } from './log.js';
import { ProxyNdp, type ProxyEntry } from './proxy-ndp.js';

const MONITOR_RESTART_MS = 1000;
/** A kernel read that failed is tried again this soon, then twice as late each time, up to the max. */
const RESYNC_RETRY_MS = 1000;
const RESYNC_RETRY_MAX_MS = 30_000;
/**
 * Proxy NDP reads the kernel again after a route or netconf change: this soon after the first
 * of a burst, at most this often, and this often anyway (someone flushed the entries, say).
 */
const PROXY_SYNC_DELAY_MS = 10;
const PROXY_SYNC_MIN_GAP_MS = 100;
const PROXY_SYNC_EVERY_MS = 30_000;

export class RdnbrdService {
  private agent?: Agent;
  private routeBatch?: IpBatch;
  private neighborBatch?: IpBatch;
  private monitor?: IpMonitor;
  private kernel?: IpKernel;
  private proxy?: ProxyNdp;
  private proxyMonitor?: IpMonitor;
  /** a proxy sync is queued, running, or asked for again while running */
  private proxyTimer?: NodeJS.Timeout;
  private proxyRunning = false;
  private proxyAgain = false;
  private proxyLastAt = 0;
  private proxyEvery?: NodeJS.Timeout;
  private timer?: NodeJS.Timeout;
  /** events that arrive while a dump is being read, applied after it */
  private held?: Array<NeighborEvent | LinkEvent | TableRoute>;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  /** resyncs run one after another: two at once would share (and lose) the held events */
  private resyncs: Promise<void> = Promise.resolve();

  constructor(
    private cfg: RdnbrdConfig,
    private readonly configFile: string | undefined,
    private readonly logger: Logger,
  ) {}

  /** Child process ids (monitor, batch): the benchmark adds their CPU time. */
  get childPids(): number[] {
    return [this.monitor?.pid, this.proxyMonitor?.pid, this.routeBatch?.pid, this.neighborBatch?.pid].filter((p): p is number => p !== undefined);
  }

  async start(): Promise<void> {
    const onFailure = (command: string, error: string) => this.onBatchFailure(command, error);
    // commands lost with a dead ip (route deletes behind a failed neigh command, say) must
    // not stay lost: the kernel's state is read again and the table reconciled
    const onRestart = () => this.resyncAfter('ip -batch restarted');
    this.routeBatch = new IpBatch(onFailure, onRestart);
    this.neighborBatch = new IpBatch(onFailure, onRestart);
    const kernel = new IpKernel(this.routeBatch, this.neighborBatch, (m) => this.logger.log('ERROR', m));
    this.kernel = kernel;
    this.agent = new Agent(this.cfg, kernel, this.logger);
    this.proxy = new ProxyNdp(kernel, this.logger);
    this.describeConfig();
    await Promise.all([this.startMonitor(), this.startProxyMonitor()]);
    await this.resync();
    this.timer = setInterval(() => this.agent!.tick(Date.now()), tickMs(this.cfg));
    this.proxyEvery = setInterval(() => this.syncProxiesSoon(), PROXY_SYNC_EVERY_MS);
  }

  /**
   * SIGHUP: a bad file keeps the running config (and says why). Never rejects: a kernel read
   * that fails afterwards is logged and retried, the routes stay, the agent keeps running.
   */
  async reload(): Promise<void> {
    if (!this.configFile) return;
    let next: RdnbrdConfig;
    try {
      next = loadConfig(this.configFile);
    } catch (err) {
      this.logger.log('ERROR', `SIGHUP: keeping the running config: ${(err as Error).message}`);
      return;
    }
    this.logger.log('INFO', `SIGHUP: reloaded ${this.configFile}`);
    this.cfg = next;
    this.agent!.configure(next);
    this.describeConfig();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.agent!.tick(Date.now()), tickMs(next));
    await this.resyncOrRetry('SIGHUP');
  }

  /** withdraw=false leaves the routes for the next agent (restart without a gap). */
  async stop(withdraw: boolean): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.proxyEvery);
    clearTimeout(this.retryTimer);
    clearTimeout(this.proxyTimer);
    this.monitor?.stop();
    this.proxyMonitor?.stop();
    if (withdraw) {
      this.agent?.withdrawAll('rdnbrd stopping');
      this.proxy?.removeAll('rdnbrd stopping');
    } else {
      const proxies = this.proxy?.count ? ` and ${this.proxy.count} proxy entries` : '';
      this.logger.log('INFO', `stopping, leaving ${this.agent?.routes().length ?? 0} routes${proxies} for the next agent`);
    }
    await Promise.all([this.routeBatch?.close(), this.neighborBatch?.close()]);
  }

  private startMonitor(): Promise<void> {
    this.monitor = new IpMonitor(
      (line) => this.onMonitorLine(line),
      (reason) => this.onMonitorExit(reason),
      undefined,
      (line) => this.onMonitorStderr(line),
    );
    return this.monitor.start();
  }

  /** Proxy NDP needs no event's content: any IPv6 route or netconf change is a reason to read the kernel again. */
  private startProxyMonitor(): Promise<void> {
    this.proxyMonitor = new IpMonitor(
      () => this.syncProxiesSoon(),
      (reason) => this.onProxyMonitorExit(reason),
      PROXY_MONITOR,
    );
    return this.proxyMonitor.start();
  }

  private onProxyMonitorExit(reason: string): void {
    if (this.stopped) return;
    this.logger.log('ERROR', `${reason}; restarting it`);
    setTimeout(() => {
      if (this.stopped) return;
      this.startProxyMonitor().then(
        () => this.syncProxiesSoon(),
        (err) => this.logger.log('ERROR', `ip monitor did not start: ${(err as Error).message}`),
      );
    }, MONITOR_RESTART_MS);
  }

  /** One sync at a time; a burst of changes makes one or two, never one per change. */
  private syncProxiesSoon(): void {
    if (this.stopped) return;
    if (this.proxyRunning) {
      this.proxyAgain = true;
      return;
    }
    if (this.proxyTimer) return;
    const wait = Math.max(PROXY_SYNC_DELAY_MS, this.proxyLastAt + PROXY_SYNC_MIN_GAP_MS - Date.now());
    this.proxyTimer = setTimeout(() => void this.syncProxies(), wait);
  }

  private async syncProxies(): Promise<void> {
    this.proxyTimer = undefined;
    this.proxyRunning = true;
    this.proxyAgain = false;
    this.proxyLastAt = Date.now();
    try {
      const view = await readProxyView(this.cfg, this.agent!.routes());
      if (!this.stopped) this.proxy!.sync(view);
    } catch (err) {
      // the next change or the periodic sync tries again; the entries in place stay
      this.logger.log('ERROR', `proxy NDP: reading the kernel failed: ${(err as Error).message.split('\n').join(' ')}`);
    } finally {
      this.proxyRunning = false;
      if (this.proxyAgain) this.syncProxiesSoon();
    }
  }

  /** `[NEIGH]...`, `[LINK]...`, `[ROUTE]...` (ip monitor label). */
  private onMonitorLine(line: string): void {
    const m = /^\[(NEIGH|LINK|ROUTE)\](.*)$/.exec(line);
    if (!m) return;
    const ev = m[1] === 'NEIGH' ? parseNeighborLine(m[2]) : m[1] === 'LINK' ? parseLinkLine(m[2]) : parseTableRoute(m[2]);
    if (!ev) return;
    if (this.held) this.held.push(ev);
    else this.deliver(ev, Date.now());
  }

  private deliver(ev: NeighborEvent | LinkEvent | TableRoute, now: number): void {
    if ('kind' in ev) this.agent!.onEvent(ev, now);
    else this.agent!.onRoute(ev, now);
  }

  /** The kernel dropped events the monitor could not read in time (its socket buffer overran): read everything again. */
  private onMonitorStderr(line: string): void {
    if (this.stopped || !/No buffer space/i.test(line)) return;
    this.logger.log('WARNING', `ip monitor: ${line.trim()}; events were lost, reading the tables again`);
    this.resyncAfter('events lost');
  }

  private resyncAfter(why: string): void {
    void this.resyncOrRetry(why);
  }

  /**
   * Reads the kernel and reconciles; when that fails, says so and tries again later (until it
   * works or the agent stops). Never rejects, so no caller can turn it into a crash.
   */
  private async resyncOrRetry(why: string, delayMs = RESYNC_RETRY_MS): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    try {
      await this.resync();
    } catch (err) {
      if (this.stopped) return;
      this.logger.log('ERROR', `${why}: resync failed: ${(err as Error).message.split('\n').join(' ')}; keeping the routes, trying again in ${delayMs / 1000}s`);
      this.retryTimer = setTimeout(() => void this.resyncOrRetry(why, Math.min(delayMs * 2, RESYNC_RETRY_MAX_MS)), delayMs);
    }
  }

  /** Without the monitor the agent is blind; start a new one and catch up by a dump. */
  private onMonitorExit(reason: string): void {
    if (this.stopped) return;
    this.logger.log('ERROR', `${reason}; restarting it`);
    setTimeout(() => {
      if (this.stopped) return;
      this.startMonitor().then(
        () => this.resyncOrRetry('ip monitor restarted'),
        (err) => this.logger.log('ERROR', `ip monitor did not start: ${(err as Error).message}`),
      );
    }, MONITOR_RESTART_MS);
  }

  private resync(): Promise<void> {
    const run = this.resyncs.then(() => this.resyncNow());
    this.resyncs = run.catch(() => undefined);
    return run;
  }

  /** The monitor runs before the dump is read, so nothing between the two is lost. */
  private async resyncNow(): Promise<void> {
    this.held = [];
    try {
      const tables = await this.kernel!.readTables();
      this.agent!.reconcile(tables, Date.now());
      this.logger.log('INFO', reconciledLine(this.agent!.routes(), this.cfg.route_table, this.cfg.ipv6_route_table));
      this.syncProxiesSoon();
    } finally {
      const held = this.held;
      this.held = undefined;
      for (const ev of held) this.deliver(ev, Date.now());
    }
  }

  private onBatchFailure(command: string, error: string): void {
    // Deleting what the kernel already removed (link down, neighbor flushed) is normal.
    const level = /^(route del|neigh del|neigh change)/.test(command) ? 'DEBUG' : 'ERROR';
    this.logger.log(level, `ip ${command}: ${error || 'failed'}`);
  }

  private describeConfig(): void {
    const c = this.cfg;
    if (c.holdtimeRaisedFrom !== undefined) {
      this.logger.log('WARNING', `holdtime ${c.holdtimeRaisedFrom} raised to ${c.holdtime} (at least 3 x keepalive)`);
    }
    this.logger.log(
      'INFO',
      `keepalive ${c.keepalive}s holdtime ${c.holdtime}s table ${c.route_table} ` +
        `${c.unicast_arp_requests ? 'unicast' : 'broadcast'} ARP, excluding lo ${c.exclude_interfaces.join(' ')}`.trimEnd(),
    );
  }
}

/** `reconciled: N routes in table T`, and `, M routes in table main` when it holds /128s. */
function reconciledLine(routes: Array<{ ip: string }>, table: number, table6: number): string {
  const v6 = routes.filter((r) => isIpv6Text(r.ip)).length;
  const line = `reconciled: ${routes.length - v6} routes in table ${table}`;
  return v6 === 0 ? line : `${line}, ${v6} routes in table ${tableName(table6)}`;
}

/**
 * The main table's IPv6 routes (with the agent's own /128s, wherever its table is), the ports
 * with proxy NDP on (`all` turns it on everywhere) and our entries. No port proxying: nothing
 * more is read, so an IPv4-only leaf pays one `ip -6 netconf` per sync.
 */
async function readProxyView(cfg: RdnbrdConfig, own: Array<{ ip: string; dev: string }>): Promise<{ routes: RoutePath[]; ports: string[]; current: ProxyEntry[] }> {
  const [netconf, current] = await Promise.all([
    ipOutput(['-6', 'netconf', 'show']),
    ipOutput(['-6', 'neigh', 'show', 'proxy', 'proto', RDNBRD_PROTO]),
  ]);
  const confs = netconf.map(parseNetconfLine).filter((c) => c !== undefined);
  const all = confs.some((c) => c.dev === 'all' && c.proxyNeigh);
  const ports = confs
    .filter((c) => !['all', 'default', 'lo'].includes(c.dev) && (all || c.proxyNeigh) && !cfg.exclude_interfaces.includes(c.dev))
    .map((c) => c.dev);
  const entries = current.map(parseProxyLine).filter((e) => e !== undefined);
  if (ports.length === 0) return { routes: [], ports, current: entries };
  const main = await ipOutput(['-o', '-6', 'route', 'show', 'table', 'main']);
  const routes = main.map(parseRoutePath).filter((r) => r !== undefined);
  for (const r of own) if (isIpv6Text(r.ip)) routes.push({ dst: r.ip, length: 128, devs: [r.dev], gateway: false });
  return { routes, ports, current: entries };
}

/** Ten ticks per keepalive spread the probes well enough; expiry is late by one tick at most. */
function tickMs(cfg: RdnbrdConfig): number {
  return Math.max(10, Math.min(100, (cfg.keepalive * 1000) / 10));
}
