/**
 * The control-plane check, pure: what a switch's routing tables hold (FRR's
 * `show ip route json` and the kernel's redistribute-neighbor table) against the /32s
 * the topology implies, and how each should be reached.
 */
import { inCidr, parseCidr, parseIpv4 } from '../../topology/ip.js';
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

export function checkSwitch(plan: Plan, sw: SwitchPlan, routes: SwitchRoutes): RouteCheck {
  const check: RouteCheck = { name: sw.name, present: [], missing: [], unexpected: [], wrong_nexthop: [] };
  for (const c of plan.containers) {
    const prefix = `${c.ip}/32`;
    const want = expectedPath(plan, sw, c);
    const actual = want.where === 'table' ? tableInterfaces(routes.table, prefix) : bgpInterfaces(routes.rib, prefix);
    if (actual === undefined) check.missing.push(prefix);
    else if (sameSet(actual, want.interfaces)) check.present.push(prefix);
    else check.wrong_nexthop.push({ prefix, expected: want.interfaces, actual });
  }
  const known = knownHostRoutes(plan);
  check.unexpected = hostRoutesInSubnet(plan, routes).filter((p) => !known.has(p));
  return check;
}

/** With `--absent`: `present` lists the container /32s some table still holds. */
export function checkAbsent(plan: Plan, sw: SwitchPlan, routes: SwitchRoutes): RouteCheck {
  const held = new Set(hostRoutesInSubnet(plan, routes));
  return {
    name: sw.name,
    present: plan.containers.map((c) => `${c.ip}/32`).filter((p) => held.has(p)),
    missing: [],
    unexpected: [],
    wrong_nexthop: [],
  };
}

export function checkPassed(check: RouteCheck, absent: boolean): boolean {
  if (absent) return check.present.length === 0;
  return check.missing.length === 0 && check.unexpected.length === 0 && check.wrong_nexthop.length === 0;
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

/** Every /32 inside the shared subnet that the switch holds, in FRR's RIB or in the kernel table. */
function hostRoutesInSubnet(plan: Plan, routes: SwitchRoutes): string[] {
  const subnet = parseCidr(plan.subnet)!;
  const inSubnet = (p: string) => {
    const [addr, len] = p.split('/');
    const ip = parseIpv4(addr);
    return len === '32' && ip !== null && inCidr(ip, subnet);
  };
  const fromRib = Object.keys(routes.rib).filter((p) => inSubnet(p) && routes.rib[p].length > 0);
  const fromTable = routes.table.map((r) => hostPrefix(r.dst)).filter(inSubnet);
  return [...new Set([...fromRib, ...fromTable])].sort(byAddress);
}

/** /32s that may legitimately appear: the containers, the servers' own uplink addresses, the gateway. */
function knownHostRoutes(plan: Plan): Set<string> {
  return new Set([...plan.containers.map((c) => c.ip), ...plan.servers.map((s) => s.uplink.address), plan.gateway].map((ip) => `${ip}/32`));
}

function hostPrefix(dst: string): string {
  return dst.includes('/') ? dst : `${dst}/32`;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function byAddress(a: string, b: string): number {
  return (parseIpv4(a.split('/')[0]) ?? 0) - (parseIpv4(b.split('/')[0]) ?? 0);
}
