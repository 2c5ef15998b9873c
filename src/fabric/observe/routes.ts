/**
 * The control-plane check, pure: what a switch's routing tables hold (FRR's
 * `show ip route json` and the kernel's redistribute-neighbor table; dual stack, the IPv6
 * RIB and the agent's /128s) against the host routes the topology implies, and how each
 * should be reached: the same next hops for a container's /32 and its /128.
 */
import { inCidr, inCidr6, parseCidr, parseCidr6, parseIpv4, parseIpv6 } from '../../topology/ip.js';
import { fabricPaths } from '../../topology/paths.js';
import type { ContainerPlan, Plan, SwitchPlan } from '../../topology/types.js';
import type { FrrRib, SwitchRoutes, TableRoute } from '../../platforms/index.js';

interface WrongNexthop {
  prefix: string;
  expected: string[];
  actual: string[];
}

export interface RouteCheck {
  name: string;
  present: string[];
  missing: string[];
  unexpected: string[];
  wrong_nexthop: WrongNexthop[];
}

/**
 * How `sw` must reach container `c`: on its own leaf, the agent's table route out of the
 * server port; elsewhere, BGP over every neighbor on a shortest AS path to that leaf
 * (none: BGP has no path to give it, and the /32 will be missing).
 */
export function expectedPath(plan: Plan, sw: SwitchPlan, c: ContainerPlan): { where: 'table' | 'bgp'; interfaces: string[] } {
  if (sw.name === c.leaf) return { where: 'table', interfaces: [c.leafPort] };
  return { where: 'bgp', interfaces: [...(fabricPaths(plan.switches)(c.leaf).get(sw.name) ?? [])] };
}

/** 4: the /32s (and the agent's table); 6, dual stack: the /128s (and the agent's /128s in main). */
export type Family = 4 | 6;

/** The families a plan routes: IPv4, and IPv6 when it is dual stack. */
export function familiesOf(plan: Plan): Family[] {
  return plan.ipv6 ? [4, 6] : [4];
}

/** One family's side of a switch's tables and of the plan. */
interface FamilyView {
  rib: FrrRib;
  table: TableRoute[];
  /** a container's host prefix in this family, if it has an address in it */
  prefixOf(c: ContainerPlan): string | undefined;
  /** a prefix is a host route inside the shared subnet (or prefix) */
  isHostInShared(prefix: string): boolean;
  /** host routes that may legitimately appear: the containers, the servers' own addresses, the gateway */
  known: Set<string>;
}

function familyView(plan: Plan, routes: SwitchRoutes, family: Family): FamilyView {
  if (family === 4) {
    const subnet = parseCidr(plan.subnet)!;
    const known = [...plan.containers.map((c) => c.ip), ...plan.servers.map((s) => s.uplink.address), plan.gateway];
    return {
      rib: routes.rib,
      table: routes.table,
      prefixOf: (c) => `${c.ip}/32`,
      isHostInShared: (p) => {
        const [addr, len] = p.split('/');
        const ip = parseIpv4(addr);
        return len === '32' && ip !== null && inCidr(ip, subnet);
      },
      known: new Set(known.map((ip) => `${ip}/32`)),
    };
  }
  const prefix = parseCidr6(plan.ipv6!.prefix)!;
  const known = [...plan.containers.map((c) => c.ip6), ...plan.servers.map((s) => s.uplink.address6), plan.ipv6!.gateway];
  return {
    rib: routes.rib6 ?? {},
    table: routes.table6 ?? [],
    prefixOf: (c) => (c.ip6 ? `${c.ip6}/128` : undefined),
    isHostInShared: (p) => {
      const [addr, len] = p.split('/');
      const ip = parseIpv6(addr);
      return len === '128' && ip !== null && inCidr6(ip, prefix);
    },
    known: new Set(known.filter((ip) => ip !== undefined).map((ip) => `${ip}/128`)),
  };
}

/** The switch's tables against the plan, in one family: each container's host route present, by the right next hops, nothing else in the shared subnet. */
export function checkSwitch(plan: Plan, sw: SwitchPlan, routes: SwitchRoutes, family: Family = 4): RouteCheck {
  const view = familyView(plan, routes, family);
  const check: RouteCheck = { name: sw.name, present: [], missing: [], unexpected: [], wrong_nexthop: [] };
  for (const c of plan.containers) {
    const prefix = view.prefixOf(c);
    if (prefix === undefined) continue;
    const want = expectedPath(plan, sw, c);
    const actual = want.where === 'table' ? tableInterfaces(view.table, prefix) : bgpInterfaces(view.rib, prefix);
    if (actual === undefined) check.missing.push(prefix);
    else if (sameSet(actual, want.interfaces)) check.present.push(prefix);
    else check.wrong_nexthop.push({ prefix, expected: want.interfaces, actual });
  }
  check.unexpected = hostRoutesInShared(view).filter((p) => !view.known.has(p));
  return check;
}

/**
 * One container's host route on one switch, in one family: how it must be reached (its next
 * hops, as checkSwitch judges them) and how it is (undefined: the switch does not route it).
 */
export function hostRouteOn(
  plan: Plan,
  sw: SwitchPlan,
  routes: SwitchRoutes,
  c: ContainerPlan,
  family: Family,
): { prefix: string; expected: string[]; actual?: string[] } | undefined {
  const view = familyView(plan, routes, family);
  const prefix = view.prefixOf(c);
  if (prefix === undefined) return undefined;
  const want = expectedPath(plan, sw, c);
  const actual = want.where === 'table' ? tableInterfaces(view.table, prefix) : bgpInterfaces(view.rib, prefix);
  return { prefix, expected: want.interfaces, ...(actual ? { actual } : {}) };
}

/** With `--absent`: `present` lists the container host routes (of this family) some table still holds. */
export function checkAbsent(plan: Plan, sw: SwitchPlan, routes: SwitchRoutes, family: Family = 4): RouteCheck {
  const view = familyView(plan, routes, family);
  const held = new Set(hostRoutesInShared(view));
  return {
    name: sw.name,
    present: plan.containers.map(view.prefixOf).filter((p): p is string => p !== undefined && held.has(p)),
    missing: [],
    unexpected: [],
    wrong_nexthop: [],
  };
}

/** One switch's checks of several families as one: each list the families' in turn. */
export function mergeChecks(checks: RouteCheck[]): RouteCheck {
  const [first] = checks;
  return {
    name: first.name,
    present: checks.flatMap((c) => c.present),
    missing: checks.flatMap((c) => c.missing),
    unexpected: checks.flatMap((c) => c.unexpected),
    wrong_nexthop: checks.flatMap((c) => c.wrong_nexthop),
  };
}

export function checkPassed(check: RouteCheck, absent: boolean): boolean {
  if (absent) return check.present.length === 0;
  return check.missing.length === 0 && check.unexpected.length === 0 && check.wrong_nexthop.length === 0;
}

/** Whether the switch routes `prefix` (a /32 or a /128): a selected or installed route in FRR's RIB, or the prefix in the agent's table. */
export function holdsPrefix(routes: SwitchRoutes, prefix: string): boolean {
  const v6 = prefix.includes(':');
  const rib = (v6 ? routes.rib6 : routes.rib) ?? {};
  if ((rib[prefix] ?? []).some((r) => r.selected || r.installed)) return true;
  return ((v6 ? routes.table6 : routes.table) ?? []).some((r) => hostPrefix(r.dst) === prefix);
}

/** Interfaces of the active next hops of the selected BGP route, or undefined when there is none. */
function bgpInterfaces(rib: FrrRib, prefix: string): string[] | undefined {
  const route = (rib[prefix] ?? []).find((r) => r.protocol === 'bgp' && (r.selected || r.installed));
  if (!route) return undefined;
  const hops = (route.nexthops ?? []).filter((h) => h.active || h.fib);
  return [...new Set(hops.map((h) => h.interfaceName ?? h.ip ?? '?'))].sort();
}

function tableInterfaces(table: TableRoute[], prefix: string): string[] | undefined {
  const hits = table.filter((r) => hostPrefix(r.dst) === prefix);
  return hits.length === 0 ? undefined : [...new Set(hits.map((r) => r.dev ?? '?'))].sort();
}

/** Every host route inside the shared subnet (or prefix) that the switch holds, in FRR's RIB or in the agent's table. */
function hostRoutesInShared(view: FamilyView): string[] {
  const fromRib = Object.keys(view.rib).filter((p) => view.isHostInShared(p) && view.rib[p].length > 0);
  const fromTable = view.table.map((r) => hostPrefix(r.dst)).filter(view.isHostInShared);
  return [...new Set([...fromRib, ...fromTable])].sort(byAddress);
}

/** `ip -j` writes a host route's destination without its length. */
function hostPrefix(dst: string): string {
  if (dst.includes('/')) return dst;
  return dst.includes(':') ? `${dst}/128` : `${dst}/32`;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** IPv4 before IPv6, each by address. */
function byAddress(a: string, b: string): number {
  const key = (p: string) => {
    const addr = p.split('/')[0];
    return addr.includes(':') ? (1n << 128n) + (parseIpv6(addr) ?? 0n) : BigInt(parseIpv4(addr) ?? 0);
  };
  const [x, y] = [key(a), key(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
