/**
 * `cldemo ping-sweep`: each leaf pings the containers behind it (or, with subnet, every
 * host of the shared subnet), all at once in one remote command, so the leaf learns their
 * ARP entries (and, dual stack, their neighbor-discovery entries: `ping -6`) and
 * redistribute-neighbor turns them into /32s (and /128s).
 */
import { formatIpv4, parseCidr, parseIpv4 } from '../../topology/ip.js';
import type { ContainerPlan, Plan, SwitchPlan } from '../../topology/types.js';
import { forEachNode, type FabricContext } from '../context.js';
import { platformOf, type PingTarget } from '../../platforms/index.js';
import { runRemote } from '../remote.js';

interface SweptContainer {
  name: string;
  ip: string;
  leaf: string;
  answered: boolean;
  /** dual stack: its IPv6 address, and whether it answered `ping -6` */
  ip6?: string;
  answered6?: boolean;
}

export interface SweepReport {
  ok: boolean;
  containers: SweptContainer[];
  /** with subnet: every address that answered, and which leaf heard it */
  hosts?: Array<{ ip: string; leaf: string }>;
  leaves: Array<{ name: string; ok: boolean; error?: string }>;
  elapsed_ms: number;
}

/**
 * What a leaf pings, each through the server port it sits behind: its own containers, or
 * every host address of the subnet but the gateway through each of its server ports. Dual
 * stack: its containers' IPv6 addresses too (an IPv6 prefix is too large to sweep).
 */
export function sweepTargets(plan: Plan, leaf: SwitchPlan, subnet: boolean): PingTarget[] {
  const mine = plan.containers.filter((c) => c.leaf === leaf.name);
  const v6: PingTarget[] = mine.flatMap((c) => (c.ip6 ? [{ ip: c.ip6, port: c.leafPort }] : []));
  if (!subnet) return mine.flatMap((c) => [{ ip: c.ip, port: c.leafPort }, ...(c.ip6 ? [{ ip: c.ip6, port: c.leafPort }] : [])]);
  const s = parseCidr(plan.subnet)!;
  const gw = parseIpv4(plan.gateway);
  const ports: Array<string | undefined> = leaf.serverPorts.length ? leaf.serverPorts.map((p) => p.port) : [undefined];
  const hosts: PingTarget[] = [];
  for (const port of ports) {
    for (let n = s.network + 1; n < s.broadcast; n++) if (n !== gw) hosts.push({ ip: formatIpv4(n), ...(port === undefined ? {} : { port }) });
  }
  return [...hosts, ...v6];
}

export async function pingSweep(ctx: FabricContext, opts: { subnet?: boolean } = {}): Promise<SweepReport> {
  const started = Date.now();
  const leaves = ctx.plan.switches.filter((s) => s.role === 'leaf' && (opts.subnet || ctx.plan.containers.some((c) => c.leaf === s.name)));
  const outcomes = await forEachNode(leaves, ctx.parallel, async (leaf) => {
    const targets = sweepTargets(ctx.plan, leaf, opts.subnet ?? false);
    ctx.progress({ kind: 'step', node: leaf.name, doing: `pinging ${targets.length} addresses` });
    const conn = await ctx.connect(leaf);
    const { ping } = platformOf(leaf).probes;
    const answered = ping.parse((await runRemote(conn, ping.command(targets), { what: 'pinging the containers', timeoutMs: 30_000 })).stdout);
    ctx.progress({ kind: 'swept', node: leaf.name, answered: answered.size, targets: targets.length });
    return answered;
  });
  const heard = new Map(leaves.map((l, i) => [l.name, outcomes[i].value ?? new Set<string>()]));
  const answered = (c: ContainerPlan, ip: string) => heard.get(c.leaf)?.has(ip) ?? false;
  const containers = ctx.plan.containers.map((c): SweptContainer => ({
    ...{ name: c.name, ip: c.ip, leaf: c.leaf, answered: answered(c, c.ip) },
    ...(c.ip6 ? { ip6: c.ip6, answered6: answered(c, c.ip6) } : {}),
  }));
  const hosts = opts.subnet ? [...heard].flatMap(([leaf, ips]) => [...ips].map((ip) => ({ ip, leaf }))) : undefined;
  return {
    ok: containers.every((c) => c.answered && c.answered6 !== false),
    containers,
    ...(hosts ? { hosts } : {}),
    leaves: outcomes.map((o) => ({ name: o.node, ok: o.ok, ...(o.ok ? {} : { error: o.error }) })),
    elapsed_ms: Date.now() - started,
  };
}
