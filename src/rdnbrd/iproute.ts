/**
 * The agent's only contact with the kernel: iproute2 child processes. One long-lived
 * `ip monitor` stands in for a netlink event socket, one long-lived `ip -batch -` takes
 * every route and neighbor change over stdin (no process per change).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { hostLength } from './address.js';
import { parseNeighborLine, parseTableRoute, type MonitorObject, type NeighborEvent, type TableRoute } from './ip-lines.js';
import type { ProxyKernel } from './proxy-ndp.js';

const execFileP = promisify(execFile);

/**
 * Routes carry this protocol number so reconciliation can tell the agent's routes
 * apart. Not 186-198 or 11: zebra treats those as its own and sweeps them at start.
 */
export const RDNBRD_PROTO = '72';

/** ip has no "subscribed" signal; its netlink bind takes well under this after exec. */
const SUBSCRIBE_GRACE_MS = 100;

export async function ipOutput(args: string[]): Promise<string[]> {
  const { stdout } = await execFileP('ip', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

/**
 * What the agent's monitor watches: ARP and NDP entries, the ports, and routes (someone else's
 * in its table is a stray). `label` prefixes each line with its kind (`[NEIGH]`, `[LINK]`,
 * `[ROUTE]`): the line of a deleted neighbor can read like that of a host route.
 */
const AGENT_MONITOR: readonly MonitorObject[] = ['neigh', 'link', 'route'];
const AGENT_MONITOR_ARGS = ['-o', 'monitor', 'label', ...AGENT_MONITOR];
/** What proxy NDP watches: IPv6 routes and the ports' proxy_ndp switch. */
export const PROXY_MONITOR = ['-o', '-6', 'monitor', 'route', 'netconf'];

/** Line-oriented `ip -o monitor ...` (the agent's: `neigh link`, both families). */
export class IpMonitor {
  private child?: ChildProcess;
  private stopping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onExit: (reason: string) => void,
    private readonly args: string[] = AGENT_MONITOR_ARGS,
    /** what ip says on stderr while it runs: `netlink receive error No buffer space available` means events were lost */
    private readonly onStderr: (line: string) => void = () => undefined,
  ) {}

  /** Resolves once ip runs and has had time to subscribe, so a dump taken next misses nothing. */
  start(): Promise<void> {
    const child = spawn('ip', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', this.onLine);
    let stderr = '';
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr = `${stderr}${line}\n`.slice(-2000);
      this.onStderr(line);
    });
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.onExit(`ip monitor exited (${signal ?? code}) ${stderr.trim()}`);
    });
    child.on('error', (err) => this.onExit(`ip monitor failed: ${err.message}`));
    return new Promise((resolve) => {
      child.once('spawn', () => setTimeout(resolve, SUBSCRIBE_GRACE_MS));
      child.once('error', () => resolve());
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  stop(): void {
    this.stopping = true;
    this.child?.kill('SIGTERM');
  }
}

/**
 * `ip -force -batch -`: -force keeps it going after a failed command; it reports
 * failures as `Command failed -:LINE`, which maps back to the command we sent.
 * Not every failure: iproute2's `neigh` commands exit(2) on a netlink error (an entry the
 * kernel already dropped), taking every command queued behind them down too. So neighbor
 * commands get a batch of their own, and `onRestart` tells the owner that commands may
 * have been lost, so it can reconcile with the kernel.
 */
/** A new ip after the old one died: soon, but not in a tight loop if ip keeps failing. */
const RESPAWN_MS = 200;

/**
 * A line ip cannot parse: it says `Command failed -:N` for it and (under -force) goes on, having
 * done nothing. Its failure tells that every command before it has run.
 */
const BARRIER = 'cldemo-barrier';
/** A drain waits no longer than this: a wedged ip must not stop the agent reading its tables. */
const DRAIN_MAX_MS = 2000;

export class IpBatch {
  private child!: ChildProcess;
  private lineNo = 0;
  private readonly pending = new Map<number, string>();
  /** barrier line -> who waits for it */
  private readonly barriers = new Map<number, () => void>();
  private errorText: string[] = [];
  private queued: string[] = [];
  private exited!: Promise<void>;
  private closing = false;

  constructor(
    private readonly onFailure: (command: string, error: string) => void,
    private readonly onRestart: () => void = () => undefined,
  ) {
    this.spawnIp();
  }

  /** A dead ip would silently swallow every later change, so a new one takes over. */
  private spawnIp(): void {
    const child = spawn('ip', ['-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child = child;
    this.lineNo = 0;
    this.pending.clear();
    this.releaseBarriers();
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    child.on('exit', (code, signal) => {
      // what was sent to this ip has run or never will: nobody waits on it any longer
      this.releaseBarriers();
      if (this.closing) return;
      this.onFailure('ip -batch', `exited (${signal ?? code}); starting a new one`);
      setTimeout(() => {
        if (this.closing) return;
        this.spawnIp();
        this.onRestart();
      }, RESPAWN_MS);
    });
    child.on('error', (err) => this.onFailure('ip -batch', err.message));
    child.stdin!.on('error', (err) => this.onFailure('ip -batch', `stdin: ${err.message}`));
    createInterface({ input: child.stderr! }).on('line', (line) => this.onStderr(line));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(command: string): void {
    this.lineNo += 1;
    this.pending.set(this.lineNo, command);
    // ip reports failures only; keep a bounded window of commands to explain them.
    this.pending.delete(this.lineNo - 10000);
    // One write per turn of the event loop: a tick's probes go to ip in one read.
    if (this.queued.length === 0) setImmediate(() => this.flush());
    this.queued.push(command);
  }

  /**
   * Resolves once ip has run every command sent before (or has died: a dead ip runs nothing
   * more), or after DRAIN_MAX_MS at most. At once when this ip was never sent anything.
   */
  drain(): Promise<void> {
    if (this.closing || this.lineNo === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.run(BARRIER);
      const at = this.lineNo;
      const timer = setTimeout(() => {
        this.barriers.delete(at);
        resolve();
      }, DRAIN_MAX_MS);
      this.barriers.set(at, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private releaseBarriers(): void {
    for (const resolve of this.barriers.values()) resolve();
    this.barriers.clear();
  }

  private flush(): void {
    if (this.queued.length === 0) return;
    this.child.stdin!.write(this.queued.join('\n') + '\n');
    this.queued = [];
  }

  /** Waits until ip has executed every command sent so far. */
  async close(): Promise<void> {
    this.closing = true;
    this.flush();
    this.child.stdin!.end();
    await this.exited;
  }

  private onStderr(line: string): void {
    const m = /^Command failed -:(\d+)/.exec(line);
    if (!m) {
      this.errorText.push(line.trim());
      return;
    }
    const at = Number(m[1]);
    const barrier = this.barriers.get(at);
    if (barrier) {
      this.barriers.delete(at);
      this.pending.delete(at);
      this.errorText = [];
      barrier();
      return;
    }
    const command = this.pending.get(at) ?? `line ${m[1]}`;
    this.onFailure(command, this.errorText.join('; '));
    this.errorText = [];
  }
}

/** What the agent asks of the kernel; a fake of this drives the unit tests. */
export interface KernelPort {
  replaceRoute(ip: string, dev: string, table: number): void;
  deleteRoute(ip: string, dev: string, table: number): void;
  deleteNeighbor(ip: string, dev: string): void;
  /** unicast: straight to the known MAC; otherwise a broadcast request */
  probe(ip: string, dev: string, mac: string, unicast: boolean): void;
  /** have the kernel resolve an address it may not know yet (broadcast ARP requests) */
  solicit(ip: string, dev: string): void;
  /** delete a route the agent did not make, exactly as the kernel listed it (its table, device, protocol, metric) */
  removeRoute(route: TableRoute): void;
  /** every neighbor and every route of every table, read once every change asked for so far has been made */
  readTables(): Promise<KernelTables>;
}

/** What the kernel holds, as the agent reads it back to check its own work. */
export interface KernelTables {
  neighbors: NeighborEvent[];
  routes: TableRoute[];
}

/** A probe that cannot run fails the same way every keepalive: say so once a minute per port and reason. */
const PROBE_ERROR_REPEAT_MS = 60_000;

/** The tables iproute2 leaves unnamed no more with `-N` (main is not printed at all). */
const TABLE_IDS: Record<string, string> = { main: '254', local: '255', default: '253' };

export class IpKernel implements KernelPort, ProxyKernel {
  private readonly probeErrorsSaid = new Map<string, number>();

  constructor(
    private readonly routes: IpBatch,
    private readonly neighbors: IpBatch,
    private readonly onProbeError: (msg: string) => void,
    /** the arping program (tests give a stand-in) */
    private readonly arping = 'arping',
  ) {}

  /** ip reads the family from the address; an IPv6 route has no scope, `scope link` is accepted and ignored. */
  replaceRoute(ip: string, dev: string, table: number): void {
    this.routes.run(`route replace ${ip}/${hostLength(ip)} dev ${dev} scope link table ${table} proto ${RDNBRD_PROTO}`);
  }

  deleteRoute(ip: string, dev: string, table: number): void {
    this.routes.run(`route del ${ip}/${hostLength(ip)} dev ${dev} table ${table} proto ${RDNBRD_PROTO}`);
  }

  /**
   * The type is left out (a delete matches any); the device too for a multipath route (it has
   * one per next hop). A batch line takes no -6: the destination's spelling gives the family.
   */
  removeRoute(r: TableRoute): void {
    const dst = r.dst === 'default' ? (r.family === 6 ? '::/0' : '0.0.0.0/0') : `${r.dst}/${r.length}`;
    const dev = r.dev && !r.multipath ? ` dev ${r.dev}` : '';
    const metric = r.metric ? ` metric ${r.metric}` : '';
    // numbers only, as readTables gives them (a name in a long-lived batch can mean another number)
    const table = TABLE_IDS[r.table] ?? r.table;
    this.routes.run(`route del ${dst} table ${table}${dev} proto ${r.proto}${metric}`);
  }

  /**
   * `neigh show` and `-N -o route show table all` (both families; each line names its table
   * unless it is main), once the batches have run what the agent asked for before (DRAIN_MAX_MS
   * at most), so that what it reads includes its own changes. Protocols and tables are read as
   * numbers, so that a route removed as listed (`removeRoute`) is named by numbers in the batch:
   * iproute2 caches the last protocol (and table) name it looked up together with the last
   * number it parsed, so in a long-lived `ip -batch` a `proto boot` after a `proto 72` means 72
   * (iproute2 6.1: the stray was never removed), and a name may stand for two numbers
   * (`static` is 4, and 196 in FRR's rt_protos.d).
   */
  async readTables(): Promise<KernelTables> {
    await Promise.all([this.routes.drain(), this.neighbors.drain()]);
    const [neighLines, routeLines] = await Promise.all([ipOutput(['neigh', 'show']), ipOutput(['-N', '-o', 'route', 'show', 'table', 'all'])]);
    return {
      neighbors: neighLines.map(parseNeighborLine).filter((n): n is NeighborEvent => n !== undefined),
      routes: routeLines.map((line) => parseTableRoute(line, true)).filter((r): r is TableRoute => r !== undefined),
    };
  }

  deleteNeighbor(ip: string, dev: string): void {
    this.neighbors.run(`neigh del ${ip} dev ${dev}`);
  }

  /**
   * Moving a known entry to PROBE makes the kernel send a unicast ARP request (IPv6: a
   * unicast neighbor solicitation) to its MAC (measured on 6.18); the reply moves it back to REACHABLE, which the
   * monitor reports. Broadcast has no iproute2 equivalent, hence arping: `-I` is the
   * interface in Habets' arping (Debian's) and in iputils' (where `-i` is an interval).
   * No reply is arping's exit 1 with nothing said (-q); anything else means it could not
   * ask, which is reported: the neighbor would otherwise expire for no visible reason.
   */
  probe(ip: string, dev: string, mac: string, unicast: boolean): void {
    if (unicast) {
      this.neighbors.run(`neigh change ${ip} dev ${dev} lladdr ${mac} nud probe`);
      return;
    }
    const child = spawn(this.arping, ['-q', '-c', '1', '-w', '1', '-I', dev, ip], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let spawnFailed = false;
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      spawnFailed = true;
      this.probeFailed(dev, `arping on ${dev} could not ask for ${ip}: ${err.message}`);
    });
    child.on('close', (code, signal) => {
      if (spawnFailed) return; // never ran: 'error' said why
      const said = stderr.trim().split('\n').join(' ');
      if (code === 0 || (code === 1 && said === '')) return;
      this.probeFailed(dev, `arping on ${dev} could not ask for ${ip} (${signal ?? `exit ${code}`}): ${said || 'no message'}`);
    });
  }

  private probeFailed(dev: string, message: string): void {
    const key = `${dev} ${message.replace(/\d+\.\d+\.\d+\.\d+/g, 'IP')}`;
    const now = Date.now();
    if (now - (this.probeErrorsSaid.get(key) ?? -Infinity) < PROBE_ERROR_REPEAT_MS) return;
    this.probeErrorsSaid.set(key, now);
    this.onProbeError(message);
  }

  /**
   * NTF_USE (`use`) does what a packet to the address would: a new or FAILED entry goes
   * INCOMPLETE and the kernel broadcasts mcast_solicit requests (IPv6: solicitations to the
   * address's solicited-node multicast group; measured), retrans_time apart; a live
   * entry is left alone (STALE is re-checked). `replace` creates the entry, so unlike
   * `neigh del` it cannot fail and take the commands queued behind it down.
   */
  solicit(ip: string, dev: string): void {
    this.neighbors.run(`neigh replace ${ip} dev ${dev} use`);
  }

  /** Our proxy entries carry our protocol number too, so a dump finds ours and no one else's. */
  replaceProxy(ip: string, dev: string): void {
    this.neighbors.run(`neigh replace proxy ${ip} dev ${dev} proto ${RDNBRD_PROTO}`);
  }

  deleteProxy(ip: string, dev: string): void {
    this.neighbors.run(`neigh del proxy ${ip} dev ${dev}`);
  }
}
