/**
 * What a platform is: everything that differs between the boxes cldemo drives, in one
 * object per platform (src/platforms/<name>.ts, registered in index.ts). The core asks the
 * node's platform which files it gets, how each is checked and takes effect, how to run
 * redistribute-neighbor and what to run on the box; it never names a platform itself.
 */
import type { MonitorEvent } from '../rdnbrd/ip-lines.js';
import type { NodePlan } from '../topology/types.js';

/** A config file of a node: what it is (a name among its platform's files) and where it goes. */
export interface ConfigFile {
  kind: string;
  path: string;
}

export interface RenderedFile extends ConfigFile {
  text: string;
}

/** One config file a platform's nodes get. */
export interface ConfigFileSpec {
  /** the file's name among the platform's files (the key of a node's rendered files) */
  kind: string;
  /** the file on the node */
  path: string;
  /** the template it is rendered from, relative to the platform's `templates` */
  template: string;
  /** which of the platform's nodes get it; default: every one */
  appliesTo?: (node: NodePlan) => boolean;
  /**
   * argv that parses candidate `file` (not the live path) and exits non-zero on a bad one;
   * it touches neither the running daemons nor the interfaces. None: nothing can check it.
   */
  check?: (file: string) => string[];
  /**
   * How an installed copy takes effect: the name of one of the platform's `apply` steps, or
   * AGENT: the redistribute-neighbor agent rereads it when it is ensured (started, HUP, restart).
   */
  takesEffect: string;
  /** true when going from `before` to `after` needs no apply (default: never) */
  sameEffect?: (before: string | null, after: string | null) => boolean;
}

/** `takesEffect` of a file the agent reads. */
export const AGENT = 'agent';

/** A command that makes installed files take effect (a reload, a restart, a commit). */
export interface ApplyStep {
  name: string;
  /** run on the node, once, after every file is installed */
  command: string;
  /** what the one-line summary of a node says when it ran ("FRR reloaded") */
  summary: string;
  /** steps this one makes needless when both are due (a restart covers a reload) */
  covers?: readonly string[];
}

/** What an agent script reports on its last line: the one vocabulary of ensure, stop and status. */
export type AgentAnswer = 'running' | 'started' | 'restarted' | 'reloaded' | 'stopped' | 'not-running' | 'still-running';

/** How a platform runs redistribute-neighbor on its leaves. */
export interface AgentStrategy {
  /** true: cldemo uploads its own agent (dist/rdnbrd) before starting it */
  shipped: boolean;
  /** start if not running; restart if another build runs; SIGHUP/restart when the config changed */
  ensure(agentDir: string | undefined, configChanged: boolean): string;
  /** stop it (withdrawing its routes); succeeds when it is not running */
  stop(): string;
  /** prints `running` or `stopped` */
  status(): string;
  /** makes a running agent read its table and the neighbor table again (what `why` advises); none: the platform cannot */
  reconcile?: string;
  /** its last log line about one host route (`why`: when and why it was added or withdrawn); none: its log cannot be read */
  lastWords?: Show<AgentWord | undefined, [prefix: string]>;
}

/** One line of the agent's log about a host route: when, and what it said. */
export interface AgentWord {
  /** epoch ms; undefined when the line has no time the parser can read */
  at?: number;
  /** its words, from `route ...` on: `route del 172.16.1.11/32 dev swp1 table 10: no ARP reply for 3s` */
  words: string;
}

/** An address to ping, and the leaf port it sits behind (several server ports share the subnet). */
export interface PingTarget {
  ip: string;
  port?: string;
}

/** What the address check learned: who answered, who did not, and what could not be asked. */
export interface ArpProbeResult {
  taken: string[];
  free: string[];
  failed: Array<{ ip: string; why: string }>;
}

/** Commands a switch runs to ask about hosts behind its ports. */
export interface Probes {
  /** asks by ARP on a port whether each address answers (someone already has it) before a container takes it */
  arp: { command(port: string, ips: string[]): string; parse(stdout: string, ips: string[]): ArpProbeResult };
  /** pings each target once (two probes) in parallel; `parse`: the addresses that answered */
  ping: { command(targets: PingTarget[]): string; parse(stdout: string): Set<string> };
}

interface FrrNexthop {
  ip?: string;
  afi?: string;
  interfaceName?: string;
  active?: boolean;
  fib?: boolean;
}

interface FrrRoute {
  prefix: string;
  protocol: string;
  selected?: boolean;
  installed?: boolean;
  nexthops?: FrrNexthop[];
}

/** The RIB in FRR's `show ip route json` form (what every platform's routes parser returns): prefix -> its routes */
export type FrrRib = Record<string, FrrRoute[]>;

/** one route of the kernel table redistribute-neighbor fills (`ip -j route show table N`) */
export interface TableRoute {
  dst: string;
  dev?: string;
}

/** What a switch's routing tables hold: what verify-routes and status judge. */
export interface SwitchRoutes {
  rib: FrrRib;
  /** the redistribute-neighbor table (leaves only) */
  table: TableRoute[];
  /** dual stack: the IPv6 RIB, and (leaves) the /128s the agent wrote (main table, proto 72) */
  rib6?: FrrRib;
  table6?: TableRoute[];
}

/** What the routes command reads: the agent's table on a leaf, and whether the IPv6 side too. */
export interface RoutesQuery {
  routeTable?: number;
  ipv6?: boolean;
}

/** A command to run on the box, and how its output is read. */
export interface Show<T, A extends unknown[] = []> {
  /** what a message about its answer names it */
  what: string;
  command(...args: A): string;
  parse(stdout: string): T;
}

/** One BGP session as the switch reports it. */
export interface BgpPeer {
  /** the neighbor as configured: an interface name for BGP unnumbered */
  name: string;
  hostname?: string;
  state: string;
}

/** One entry of the kernel's neighbor table (`ip -j neigh show`). */
export interface NeighborEntry {
  dst: string;
  dev?: string;
  state?: string[];
}

/** One BGP path to a prefix, as the switch holds it. */
export interface BgpPath {
  /** the session it came over (an interface, BGP unnumbered); undefined: the switch's own (redistributed) */
  from?: string;
  /** the peer's hostname, when it sent one */
  peer?: string;
  best: boolean;
  /** installed beside the best one (multipath) */
  multipath: boolean;
  weight: number;
  /** why the best path won (FRR's selectionReason: Weight, AS Path, Older Path, ...) */
  reason?: string;
  aspath: string;
}

/** A prefix in the BGP table: its paths, and the sessions it is advertised on. */
export interface BgpRouteView {
  paths: BgpPath[];
  /** the sessions (interfaces) the switch sent it to */
  advertisedTo: string[];
}

/** A filter on a session, in the box's words: `route-map DENY`, `prefix-list P`, `filter-list 1`, `distribute-list D`. */
type Filter = string;

/** One BGP session in detail: its state, why it was last reset, and the filters on it per address family. */
export interface BgpNeighborView {
  name: string;
  hostname?: string;
  /** Established, Idle, Active, Connect, ... */
  state: string;
  /** shut down by configuration (`neighbor X shutdown`) */
  adminShutdown: boolean;
  lastReset?: string;
  inbound: { ipv4: Filter[]; ipv6: Filter[] };
  outbound: { ipv4: Filter[]; ipv6: Filter[] };
}

/** What the views run on a switch to read its state, and how they read the answer. */
export interface ShowCommands {
  /**
   * Shell that goes before the status command (it may wrap the box's CLI so that a failure
   * prints a line of its own), and how those lines are taken out of the answer: the rest, and
   * each failure as `COMMAND: what it said`.
   */
  failures: { prelude: string; take(stdout: string): { text: string; failed: string[] } };
  /** the RIB and, given a table, the kernel table redistribute-neighbor fills */
  routes: Show<SwitchRoutes, [query: RoutesQuery]>;
  /** its BGP sessions; undefined when bgpd gave no answer (busy, restarting, no instance yet); throws on an answer it cannot read */
  bgp: Show<BgpPeer[] | undefined>;
  /** the kernel's neighbor table (with ipv6: both families) */
  neighbors: Show<NeighborEntry[], [ipv6?: boolean]>;
  /**
   * The kernel's host routes (every table) and neighbors now, a line `mark`, then each change
   * as it happens, for as long as the command runs; `parse` reads any one of those lines.
   */
  changes: { command(mark: string): string; parse(line: string): MonitorEvent | undefined };
  /** its BFD sessions (bfdd); undefined when bfdd gave no answer; none: the platform cannot say */
  bfd?: Show<BfdPeer[] | undefined>;
  /** one prefix in the BGP table (IPv4 or IPv6 by its address); undefined when the table does not hold it */
  bgpRoute?: Show<BgpRouteView | undefined, [prefix: string]>;
  /** every BGP session in detail; undefined when bgpd gave no answer */
  bgpNeighbors?: Show<BgpNeighborView[] | undefined>;
}

/** One BFD session as the box reports it. */
export interface BfdPeer {
  /** the peer's address (a link-local one on an unnumbered port) */
  peer: string;
  /** the local port, when the session is bound to one */
  interface?: string;
  /** up, down, init, shutdown */
  status: string;
}

/** A port as the box reports it: administratively up or down, and whether it has carrier (unknown while admin down). */
export interface PortState {
  port: string;
  exists: boolean;
  admin: 'up' | 'down';
  /** null while the port is admin down (the kernel does not say) */
  carrier: boolean | null;
}

/** How a port is taken down and brought up on the box (a cable pulled, `cldemo lab link`), and read back. */
export interface PortCommands {
  set(port: string, up: boolean): string;
  /** every port's state; `parse` picks the ports asked about */
  show: { command(): string; parse(stdout: string, ports: string[]): PortState[] };
}

/** One answer (or its absence) read from a probe stream's line. */
export interface ProbeLine {
  /** the probe's number in its stream (ICMP sequence, the nth HTTP request), from 1 */
  n: number;
  ok: boolean;
  /** when the probe was sent, ms since the epoch on the node's clock */
  at: number;
}

/**
 * Long-running probes a node sends until stopped (`cldemo measure`): one line per probe on
 * stdout. `from` is an address of the node to send from (a leaf's loopback); without it the
 * node's own route decides (a server's address in the container subnet).
 */
export interface MeasureProbes {
  icmp(to: string, intervalMs: number, from?: string): string;
  http(to: string, intervalMs: number, timeoutMs: number, from?: string): string;
  /** a line of either stream; undefined for lines that say nothing about a probe */
  parse(kind: 'icmp' | 'http', line: string, intervalMs: number): ProbeLine | undefined;
}

/** What a drill may do to one of a node's services (`restart: leaf04 frr`, `kill: leaf04 agent`). */
interface ServiceCommands {
  /** restarts it the way cldemo does when a change needs it */
  restart?: string;
  /** SIGKILLs it (a crash), leaving what it set up */
  kill?: string;
}

interface PlatformBase {
  /** the name the topology gives (`platform: frr`); unique in the registry */
  name: string;
  /** whether `provider: lab` can build its nodes (the lab's switches are Debian + FRR) */
  lab: boolean;
  /** the folder its templates are read from (another platform's templates there may be extended) */
  templates: string;
  /** its config files, in the order they are rendered, installed and listed */
  files: readonly ConfigFileSpec[];
  /** how installed files take effect, in the order the steps run */
  apply: readonly ApplyStep[];
  /** its ports taken down and up (`lab link` on provider external); none: it cannot */
  ports?: PortCommands;
  /** the probes `cldemo measure` sends from its nodes; none: its nodes are never a probe's source */
  measure?: MeasureProbes;
  /** its services a drill may restart or kill, by name (frr, agent, docker) */
  services?: Readonly<Record<string, ServiceCommands>>;
}

/**
 * What a platform's leaves cannot do in a topology, each with the one line `validate` gives
 * as the reason. Absent: no limit.
 */
interface LeafLimits {
  /** a dual-stack topology (`ipv6:`): its redistribute-neighbor cannot learn IPv6 neighbors */
  ipv6?: string;
}

/** A switch platform: the topology names it (`platform:`, `defaults.platform`). */
export interface SwitchPlatform extends PlatformBase {
  runs: 'switch';
  agent: AgentStrategy;
  probes: Probes;
  show: ShowCommands;
  leafLimits?: LeafLimits;
  /** what an operator runs on the box to mend its routing daemons (`why` names them); none: `why` says it in words */
  remedies?: RoutingRemedies;
}

/** Commands an operator runs on a switch, in its own terms. */
export interface RoutingRemedies {
  /** starts the routing daemons that are not running */
  startRouting: string;
  /** makes the running routing config the rendered file again (drops what was changed by hand) */
  reloadRouting: string;
}

/** The Docker hosts' platform: every server runs it. */
export interface ServerPlatform extends PlatformBase {
  runs: 'server';
}

export type Platform = SwitchPlatform | ServerPlatform;
