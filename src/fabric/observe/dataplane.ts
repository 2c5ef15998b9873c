/**
 * The data-plane check: an HTTP GET to each container from a leaf in another rack, sourced
 * from that leaf's loopback, so the request and the answer both cross the fabric on the
 * /32s. One remote command per leaf, every request in it in parallel. Dual stack adds two
 * IPv6 GETs per container: from that leaf's IPv6 loopback, and from a container in another
 * rack (inside its network namespace, on its server: the same prefix, no NAT, so the source
 * leaf answers its neighbor solicitation by proxy and the /128s carry both ways).
 */
import { shellQuote } from '../../transport/shell.js';
import type { ContainerPlan, Plan, SwitchPlan } from '../../topology/types.js';
import type { FabricContext } from '../context.js';
import { ipv4, ipv6 } from '../../platforms/linux.js';
import { runRemote } from '../remote.js';

export interface HttpCheck {
  name: string;
  /** the address asked: the container's IPv4 or IPv6 one */
  ip: string;
  /** where the request came from: a leaf (from its loopback) or a container (by name) */
  from: string;
  ok: boolean;
  status?: number;
  server?: string;
  error?: string;
}

/** The leaf after the container's own one, in topology order: another rack whenever there is one. */
export function probeLeaf(plan: Plan, c: ContainerPlan): SwitchPlan {
  const leaves = plan.switches.filter((s) => s.role === 'leaf');
  const i = leaves.findIndex((l) => l.name === c.leaf);
  return leaves[(i + 1) % leaves.length];
}

/**
 * The container an IPv6 GET to `c` comes from: the first one of the next leaf (in topology
 * order) that has containers, another rack whenever there is one; else one on another server
 * or port of the same leaf; undefined when `c` is alone.
 */
function sourceContainer(plan: Plan, c: ContainerPlan): ContainerPlan | undefined {
  const withIp6 = plan.containers.filter((x) => x.ip6 && x.name !== c.name);
  const racks = [...new Set(plan.containers.map((x) => x.leaf))];
  const here = racks.indexOf(c.leaf);
  for (let k = 1; k < racks.length; k++) {
    const other = withIp6.find((x) => x.leaf === racks[(here + k) % racks.length]);
    if (other) return other;
  }
  return withIp6.find((x) => x.server !== c.server) ?? withIp6[0];
}

/**
 * One GET per address, all at once; prints `<ip> <status> <server>` per address. `from` is what
 * goes before curl (`nsenter -t PID -n` to ask from a container) and `bind` its --interface.
 */
export function httpProbeCommand(bind: string | undefined, ips: string[], timeoutS = 2, from = ''): string {
  const address = (ip: string) => (ip.includes(':') ? ipv6(ip) : ipv4(ip));
  const url = (ip: string) => (ip.includes(':') ? `http://[${address(ip)}]/` : `http://${address(ip)}/`);
  const iface = bind === undefined ? '' : ` --interface ${address(bind)}`;
  const summary = `tr -d '\\r' | awk ${shellQuote('NR==1{c=$2} tolower($1)=="server:"{s=$2} END{print c+0, s}')}`;
  const lines = ips.map((ip) => `(r=$(${from}curl -s -o /dev/null -D - -m ${timeoutS}${iface} ${url(ip)} 2>/dev/null | ${summary}); echo ${address(ip)} $r) &`);
  return [...lines, 'wait'].join('\n');
}

/** Parses `<ip> <status> <server>` lines. */
export function parseHttpProbe(stdout: string): Map<string, { status: number; server: string }> {
  const out = new Map<string, { status: number; server: string }>();
  for (const line of stdout.split('\n')) {
    const [ip, status, server] = line.trim().split(/\s+/);
    if (ip) out.set(ip, { status: Number(status) || 0, server: server ?? '' });
  }
  return out;
}

export function httpPassed(status: number, server: string): boolean {
  return status === 200 && server.startsWith('Apache');
}

/** Every container's page: from another rack's leaf (both families) and, dual stack, from another rack's container. */
export async function checkHttp(ctx: FabricContext, containers: ContainerPlan[]): Promise<HttpCheck[]> {
  const dual = ctx.plan.ipv6 !== undefined;
  const jobs = [fromLeaves(ctx, containers, 4), ...(dual ? [fromLeaves(ctx, containers, 6), fromContainers(ctx, containers)] : [])];
  // in the containers' order, each container's checks in the order above
  const order = new Map(containers.map((c, i) => [c.name, i]));
  return (await Promise.all(jobs)).flat().sort((a, b) => order.get(a.name)! - order.get(b.name)!);
}

/** A group of GETs run by one node: its command's answers, each target's verdict, or every target's error. */
async function askFrom(ctx: FabricContext, from: string, targets: Array<{ name: string; ip: string }>, command: () => Promise<string>): Promise<HttpCheck[]> {
  try {
    const answers = parseHttpProbe(await command());
    return targets.map(({ name, ip }) => {
      const a = answers.get(ip) ?? { status: 0, server: '' };
      return { name, ip, from, ok: httpPassed(a.status, a.server), status: a.status, server: a.server || undefined };
    });
  } catch (e) {
    return targets.map(({ name, ip }) => ({ name, ip, from, ok: false, error: (e as Error).message }));
  }
}

/** GETs from each container's probe leaf, sourced from its loopback of that family. */
async function fromLeaves(ctx: FabricContext, containers: ContainerPlan[], family: 4 | 6): Promise<HttpCheck[]> {
  const bySource = groupBy(containers.filter((c) => family === 4 || c.ip6), (c) => probeLeaf(ctx.plan, c));
  const groups = [...bySource].map(([leaf, cs]) => {
    const targets = cs.map((c) => ({ name: c.name, ip: family === 4 ? c.ip : c.ip6! }));
    const loopback = family === 4 ? leaf.loopback : leaf.loopback6;
    return askFrom(ctx, leaf.name, targets, async () => {
      const conn = await ctx.connect(leaf);
      const what = "fetching the containers' pages";
      return (await runRemote(conn, httpProbeCommand(loopback, targets.map((t) => t.ip)), { what, timeoutMs: 15_000 })).stdout;
    });
  });
  return (await Promise.all(groups)).flat();
}

/** IPv6 GETs from a container in another rack, run inside its network namespace on its server. */
async function fromContainers(ctx: FabricContext, containers: ContainerPlan[]): Promise<HttpCheck[]> {
  const bySource = groupBy(
    containers.filter((c) => c.ip6 && sourceContainer(ctx.plan, c)),
    (c) => sourceContainer(ctx.plan, c)!,
  );
  const groups = [...bySource].map(([source, cs]) => {
    const targets = cs.map((c) => ({ name: c.name, ip: c.ip6! }));
    return askFrom(ctx, source.name, targets, async () => {
      const server = ctx.plan.servers.find((s) => s.name === source.server)!;
      const conn = await ctx.connect(server);
      const pid = await conn.docker().containerPid(source.name);
      if (pid === undefined) throw new Error(`${source.name} is not running on ${server.name}, so nothing was asked from it`);
      const what = `fetching the containers' pages from ${source.name}`;
      return (await runRemote(conn, httpProbeCommand(undefined, targets.map((t) => t.ip), 2, `nsenter -t ${pid} -n `), { what, timeoutMs: 15_000 })).stdout;
    });
  });
  return (await Promise.all(groups)).flat();
}

function groupBy<K, T>(items: T[], key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const x of items) {
    const k = key(x);
    m.set(k, [...(m.get(k) ?? []), x]);
  }
  return m;
}
