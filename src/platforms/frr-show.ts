/**
 * What the views run on a switch with FRR and iproute2, and how they read the answers: the
 * RIB and the redistribute-neighbor table (verify-routes, status), the BGP sessions (status,
 * events), the neighbor table (status) and the kernel's change stream (events). The lines of
 * that stream are read by the agent's own parser (src/rdnbrd/ip-lines.ts), so the agent, the
 * views and the bench agree on what the kernel said.
 */
import { parseMonitorLine, type MonitorObject } from '../rdnbrd/ip-lines.js';
import { RDNBRD_PROTO } from '../rdnbrd/iproute.js';
import { shellQuote } from '../transport/shell.js';
import { OperationError } from '../errors.js';
import { ipv4, ipv6 } from './linux.js';
import type { BfdPeer, BgpNeighborView, BgpPath, BgpPeer, BgpRouteView, FrrRib, NeighborEntry, RoutesQuery, ShowCommands, SwitchRoutes, TableRoute } from './types.js';

const TABLE_MARK = '@@cldemo-table@@';

type BgpPeers = Record<string, { state?: string; hostname?: string }>;

/** FRR 8.4 nests the peers under ipv4Unicast; older releases put them at the top */
interface BgpSummary {
  ipv4Unicast?: { peers?: BgpPeers };
  peers?: BgpPeers;
}

const VTYSH_FAILED = '@@cldemo-vtysh-failed@@';
/**
 * vtysh, as the status command calls it (the platform's routes command included): its output
 * as it is; when it fails, a line with the mark, its exit status, its arguments and what it
 * said on stderr, so a daemon that is down is told from a switch without BGP.
 */
const VTYSH_WRAPPER =
  'vtysh() { { e=$(command vtysh "$@" 2>&1 >&3); rc=$?; } 3>&1; ' +
  `[ "$rc" -eq 0 ] || printf '\\n%s %s %s: %s\\n' '${VTYSH_FAILED}' "$rc" "$*" "$(printf %s "$e" | tr '\\n' ' ')"; return "$rc"; }`;

/** The output without vtysh's failure lines, and each failure as `COMMAND: what it said` (the same words once). */
function vtyshFailures(stdout: string): { text: string; failed: string[] } {
  const failed = new Map<string, string[]>();
  const lines = stdout.split('\n').filter((l) => {
    if (!l.startsWith(VTYSH_FAILED)) return true;
    const m = /^\S+ (\d+) (?:-c )?(.*?): (.*)$/.exec(l);
    const why = m?.[3].trim() || `exit ${m?.[1] ?? '?'}`;
    failed.set(why, [...(failed.get(why) ?? []), m?.[2] ?? 'vtysh']);
    return false;
  });
  return { text: lines.join('\n'), failed: [...failed].map(([why, commands]) => `${commands.join(', ')}: ${why}`) };
}

/** A JSON answer; nothing, or one of FRR's `% ...` messages (no BGP instance yet), is no answer; anything else unreadable throws. */
function jsonAnswer<T>(stdout: string): T | undefined {
  const t = stdout.trim();
  if (!t || t.startsWith('%')) return undefined;
  return JSON.parse(t) as T;
}

/** A prefix that reaches a remote shell: an address checked by its family's rule, a length of digits. */
function prefixArg(prefix: string): string {
  const [address, length] = prefix.split('/');
  if (!/^\d{1,3}$/.test(length ?? '')) throw new OperationError(`not a prefix, so it does not reach a remote shell: ${JSON.stringify(prefix)}`);
  return `${address.includes(':') ? ipv6(address) : ipv4(address)}/${length}`;
}

interface FrrBgpPath {
  aspath?: { string?: string };
  weight?: number;
  multipath?: boolean;
  bestpath?: { overall?: boolean; selectionReason?: string };
  peer?: { interface?: string; hostname?: string };
  sourced?: boolean;
}

/** `show bgp ... PREFIX json`: an empty object (or a % message) when the table does not hold it. */
function parseBgpRoute(stdout: string): BgpRouteView | undefined {
  const doc = jsonAnswer<{ paths?: FrrBgpPath[]; advertisedTo?: Record<string, unknown> }>(stdout);
  if (!doc?.paths?.length) return undefined;
  const paths = doc.paths.map((p): BgpPath => ({
    ...(p.sourced || !p.peer?.interface ? {} : { from: p.peer.interface }),
    ...(p.peer?.hostname ? { peer: p.peer.hostname } : {}),
    best: p.bestpath?.overall === true,
    multipath: p.multipath === true,
    // FRR leaves out a weight of 0
    weight: p.weight ?? 0,
    ...(p.bestpath?.selectionReason ? { reason: p.bestpath.selectionReason } : {}),
    aspath: p.aspath?.string ?? '',
  }));
  return { paths, advertisedTo: Object.keys(doc.advertisedTo ?? {}).sort() };
}

type FrrAfInfo = Record<string, unknown>;

interface FrrNeighbor {
  hostname?: string;
  bgpState?: string;
  adminShutDown?: boolean;
  lastResetDueTo?: string;
  addressFamilyInfo?: { ipv4Unicast?: FrrAfInfo; ipv6Unicast?: FrrAfInfo };
}

/** FRR names each filter by a key of its own (routeMapForOutgoingAdvertisements, incomingUpdatePrefixFilterList, ...): in the box's words. */
const FILTER_KINDS: Array<[RegExp, string]> = [
  [/^routeMapFor(Incoming|Outgoing)Advertisements$/, 'route-map'],
  [/^(incoming|outgoing)UpdatePrefixFilterList$/, 'prefix-list'],
  [/^(incoming|outgoing)UpdateAsPathFilterList$/, 'filter-list'],
  [/^(incoming|outgoing)UpdateNetworkFilterList$/, 'distribute-list'],
];

function filtersOf(af: FrrAfInfo | undefined, way: 'in' | 'out'): string[] {
  return Object.entries(af ?? {}).flatMap(([key, value]) => {
    const hit = FILTER_KINDS.find(([re]) => re.test(key));
    if (!hit || typeof value !== 'string') return [];
    const inbound = /^(incoming|routeMapForIncoming)/.test(key);
    return inbound === (way === 'in') ? [`${hit[1]} ${value}`] : [];
  });
}

function parseBgpNeighbors(stdout: string): BgpNeighborView[] | undefined {
  const doc = jsonAnswer<Record<string, FrrNeighbor>>(stdout);
  if (!doc || typeof doc !== 'object') return undefined;
  return Object.entries(doc).map(([name, n]) => {
    const af = n.addressFamilyInfo ?? {};
    return {
      name,
      ...(n.hostname ? { hostname: n.hostname } : {}),
      state: n.bgpState ?? 'unknown',
      adminShutdown: n.adminShutDown === true,
      ...(n.lastResetDueTo ? { lastReset: n.lastResetDueTo } : {}),
      inbound: { ipv4: filtersOf(af.ipv4Unicast, 'in'), ipv6: filtersOf(af.ipv6Unicast, 'in') },
      outbound: { ipv4: filtersOf(af.ipv4Unicast, 'out'), ipv6: filtersOf(af.ipv6Unicast, 'out') },
    };
  });
}

/** what `changes` watches: neighbors and routes, IPv4 and IPv6 (events keeps the containers' own), and the ports' links */
const CHANGES: readonly MonitorObject[] = ['neigh', 'route', 'link'];
/** the monitor that stream runs, as its command line reads on the switch (bench/views-soak.ts finds it by this) */
export const CHANGES_MONITOR: readonly string[] = ['ip', '-o', 'monitor', ...CHANGES];

export const FRR_SHOW: ShowCommands = {
  failures: { prelude: VTYSH_WRAPPER, take: vtyshFailures },
  routes: {
    what: 'its routes (show ip route json)',
    command({ routeTable, ipv6 }: RoutesQuery): string {
      const parts = ["vtysh -c 'show ip route json'"];
      // a table that does not exist yet (no neighbor learned) is empty, not an error
      if (routeTable !== undefined) parts.push(`ip -j route show table ${shellQuote(routeTable)} 2>/dev/null | grep -v '^\\[$' || true`);
      else if (ipv6) parts.push('echo');
      if (ipv6) parts.push("vtysh -c 'show ipv6 route json'");
      // the agent's /128s: FRR 8.4 cannot import an IPv6 table, so they live in main, proto 72
      if (ipv6 && routeTable !== undefined) parts.push(`ip -6 -j route show table main proto ${RDNBRD_PROTO} 2>/dev/null || true`);
      return parts.join(`; echo; echo ${TABLE_MARK}; `);
    },
    parse(stdout: string): SwitchRoutes {
      const [ribText, tableText = '', rib6Text, table6Text] = stdout.split(TABLE_MARK);
      const rib = JSON.parse(ribText.trim() || '{}') as FrrRib;
      const table = tableText.trim() ? (JSON.parse(tableText) as TableRoute[]) : [];
      if (rib6Text === undefined) return { rib, table };
      const table6 = table6Text?.trim() ? (JSON.parse(table6Text) as TableRoute[]) : [];
      return { rib, table, rib6: JSON.parse(rib6Text.trim() || '{}') as FrrRib, table6 };
    },
  },
  bgp: {
    what: 'show ip bgp summary json',
    command: () => "vtysh -c 'show ip bgp summary json'",
    parse(stdout: string): BgpPeer[] | undefined {
      const doc = jsonAnswer<BgpSummary>(stdout);
      const peers = doc?.ipv4Unicast?.peers ?? doc?.peers;
      if (!peers) return undefined;
      return Object.entries(peers).map(([name, p]) => ({ name, state: p.state ?? 'unknown', ...(p.hostname ? { hostname: p.hostname } : {}) }));
    },
  },
  neighbors: {
    what: 'ip -j neigh show',
    command: (ipv6?: boolean) => (ipv6 ? 'ip -j neigh show 2>/dev/null' : 'ip -j -4 neigh show 2>/dev/null'),
    parse: (stdout: string) => jsonAnswer<NeighborEntry[]>(stdout) ?? [],
  },
  changes: {
    command: (mark: string) => `ip -o route show table all; ip -o neigh show; ip -o link show; echo ${mark}; exec ${CHANGES_MONITOR.join(' ')}`,
    parse: (line: string) => parseMonitorLine(line, CHANGES),
  },
  bfd: {
    what: 'show bfd peers json',
    command: () => "vtysh -c 'show bfd peers json'",
    parse(stdout: string): BfdPeer[] | undefined {
      const peers = jsonAnswer<Array<{ peer?: string; interface?: string; status?: string }>>(stdout);
      if (!Array.isArray(peers)) return undefined;
      return peers.filter((p) => p.peer).map((p) => ({ peer: p.peer!, ...(p.interface ? { interface: p.interface } : {}), status: p.status ?? 'unknown' }));
    },
  },
  bgpRoute: {
    what: 'show bgp PREFIX json',
    command: (prefix: string) => `vtysh -c 'show bgp ${prefix.includes(':') ? 'ipv6' : 'ipv4'} unicast ${prefixArg(prefix)} json'`,
    parse: parseBgpRoute,
  },
  bgpNeighbors: {
    what: 'show bgp neighbors json',
    command: () => "vtysh -c 'show bgp neighbors json'",
    parse: parseBgpNeighbors,
  },
};
