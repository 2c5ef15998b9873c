/**
 * `cldemo ping-sweep`: each leaf pings the containers behind it (or, with subnet, every
 * host of the shared subnet), all at once in one remote command, so the leaf learns their
 * ARP entries (and, dual stack, their neighbor-discovery entries: `ping -6`) and
 * redistribute-neighbor turns them into /32s (and /128s).
 *
 * A container that has just started may not answer the first round: its leaf's agent may be
 * asking for its address already (a broadcast ARP request every second, three, then the
 * entry FAILS and the next three start). A ping that arrives while the entry waits after its
 * last request is queued, not asked for again, and dropped when the entry fails: a healthy
 * container looks silent for up to a second, longer on a loaded box. So the containers that
 * did not answer are pinged again, round after round, until they do or `waitMs` has passed
 * since the sweep began; each says how many rounds it took. A container that never answers
 * is reported as silent once the time is up.
 */
import { formatIpv4, parseCidr, parseIpv4 } from '../../topology/ip.js';
import type { ContainerPlan, Plan, SwitchPlan } from '../../topology/types.js';
import { forEachNode, type FabricContext } from '../context.js';
import { platformOf, type PingTarget } from '../../platforms/index.js';
import { runRemote } from '../remote.js';
import { sleep } from '../../concurrency.js';

interface SweptContainer {
  name: string;
  ip: string;
  leaf: string;
  answered: boolean;
  /** dual stack: its IPv6 address, and whether it answered `ping -6` */
  ip6?: string;
  answered6?: boolean;
  /** rounds of pings it was sent: 1 when it answered at once; a silent one, every round its leaf ran */
  tries: number;
}

export interface SweepReport {
  ok: boolean;
  containers: SweptContainer[];
  /** with subnet: every address that answered, and which leaf heard it */
  hosts?: Array<{ ip: string; leaf: string }>;
  leaves: Array<{ name: string; ok: boolean; error?: string }>;
  /** how long a container that did not answer was pinged again */
  wait_ms: number;
  elapsed_ms: number;
}

/** Long enough for a leaf's agent to end one ARP solicitation and start the next (3 x 1 s), twice over on a busy box. */
export const DEFAULT_SWEEP_WAIT_MS = 8_000;
/** A round that ends sooner (a ping that fails at once) is followed by the next no sooner than this after it began. */
const ROUND_MIN_MS = 1_000;

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

/** What a leaf heard, and in how many rounds each address was pinged. */
interface LeafSweep {
  heard: Set<string>;
  tries: Map<string, number>;
}

export interface SweepOptions {
  subnet?: boolean;
  /** ping a container that has not answered again until this long after the sweep began (0: one round) */
  waitMs?: number;
}

export async function pingSweep(ctx: FabricContext, opts: SweepOptions = {}): Promise<SweepReport> {
  const started = Date.now();
  const waitMs = opts.waitMs ?? DEFAULT_SWEEP_WAIT_MS;
  const leaves = ctx.plan.switches.filter((s) => s.role === 'leaf' && (opts.subnet || ctx.plan.containers.some((c) => c.leaf === s.name)));
  const outcomes = await forEachNode(leaves, ctx.parallel, (leaf) => sweepLeaf(ctx, leaf, opts.subnet ?? false, started + waitMs));
  const byLeaf = new Map(leaves.map((l, i) => [l.name, outcomes[i].value]));
  const answered = (c: ContainerPlan, ip: string) => byLeaf.get(c.leaf)?.heard.has(ip) ?? false;
  const triesOf = (c: ContainerPlan) => Math.max(...[c.ip, ...(c.ip6 ? [c.ip6] : [])].map((ip) => byLeaf.get(c.leaf)?.tries.get(ip) ?? 0));
  const containers = ctx.plan.containers.map((c): SweptContainer => ({
    ...{ name: c.name, ip: c.ip, leaf: c.leaf, answered: answered(c, c.ip) },
    ...(c.ip6 ? { ip6: c.ip6, answered6: answered(c, c.ip6) } : {}),
    tries: triesOf(c),
  }));
  const hosts = opts.subnet ? [...byLeaf].flatMap(([leaf, r]) => [...(r?.heard ?? [])].map((ip) => ({ ip, leaf }))) : undefined;
  return {
    ok: containers.every((c) => c.answered && c.answered6 !== false),
    containers,
    ...(hosts ? { hosts } : {}),
    leaves: outcomes.map((o) => ({ name: o.node, ok: o.ok, ...(o.ok ? {} : { error: o.error }) })),
    wait_ms: waitMs,
    elapsed_ms: Date.now() - started,
  };
}

/** One leaf's rounds: every target, then the silent containers again until they answer or `deadline`. */
async function sweepLeaf(ctx: FabricContext, leaf: SwitchPlan, subnet: boolean, deadline: number): Promise<LeafSweep> {
  const targets = sweepTargets(ctx.plan, leaf, subnet);
  // what the sweep is judged on: a silent one of these is pinged again; another host of the subnet is not
  const mine = ctx.plan.containers.filter((c) => c.leaf === leaf.name);
  const judged = new Set(mine.flatMap((c) => [key(c.ip, c.leafPort), ...(c.ip6 ? [key(c.ip6, c.leafPort)] : [])]));
  const conn = await ctx.connect(leaf);
  const { ping } = platformOf(leaf).probes;
  const heard = new Set<string>();
  const tries = new Map<string, number>();
  let pending = targets;
  for (let round = 1; ; round++) {
    const began = Date.now();
    const doing = round === 1 ? `pinging ${pending.length} addresses` : `pinging ${pending.length} silent addresses again (round ${round})`;
    ctx.progress({ kind: 'step', node: leaf.name, doing });
    for (const t of pending) tries.set(t.ip, round);
    const answered = ping.parse((await runRemote(conn, ping.command(pending), { what: 'pinging the containers', timeoutMs: 30_000 })).stdout);
    for (const ip of answered) heard.add(ip);
    pending = pending.filter((t) => !answered.has(t.ip) && judged.has(key(t.ip, t.port)));
    if (pending.length === 0 || Date.now() >= deadline || ctx.signal?.aborted) break;
    await sleep(Math.max(0, Math.min(ROUND_MIN_MS - (Date.now() - began), deadline - Date.now())));
  }
  ctx.progress({ kind: 'swept', node: leaf.name, answered: heard.size, targets: targets.length });
  return { heard, tries };
}

function key(ip: string, port: string | undefined): string {
  return `${ip}%${port ?? ''}`;
}
