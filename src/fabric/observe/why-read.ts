/**
 * What `cldemo why` reads, all at once: one command per switch (the status command, and beside
 * it the prefix's BGP entry, the sessions in detail and, on its own leaf, the agent's last word
 * about the prefix), the container and its network from the server's Docker engine, the
 * server's uplink, and the container's page from another rack. Nothing here judges: why.ts does.
 */
import { forEachNode, type FabricContext } from '../context.js';
import { messageOf } from '../../errors.js';
import { LINUX_PORTS } from '../../platforms/linux.js';
import { platformOf, type AgentWord, type BgpNeighborView, type BgpRouteView, type PortState } from '../../platforms/index.js';
import type { ContainerDetail, NetworkInfo } from '../../transport/docker-engine.js';
import type { ContainerPlan, SwitchPlan } from '../../topology/types.js';
import { runRemote } from '../remote.js';
import { httpPassed, httpProbeCommand, parseHttpProbe, probeLeaf } from './dataplane.js';
import { parseSwitchStatus, switchStatusCommand, type SwitchAnswer } from './status.js';

const WHY_MARK = '@@cldemo-why@@';

/** One switch as `why` read it: the status answer (vtysh's failures kept, not thrown), and the prefix's BGP story. */
export interface SwitchFacts {
  /** the status answer; undefined when the switch could not be read (then `error`) */
  answer?: SwitchAnswer;
  error?: string;
  /** vtysh's failures (FRR not answering), `COMMAND: what it said` */
  vtysh: string[];
  /** prefix -> its entry in the BGP table (absent: not held, or not asked) */
  bgp: Record<string, BgpRouteView | undefined>;
  /** its sessions in detail; undefined: bgpd gave no answer */
  sessions?: BgpNeighborView[];
  /** its own leaf: prefix -> the agent's last log line about it */
  agentSaid: Record<string, AgentWord | undefined>;
}

/** The server's side: the container, its network, the uplink; `error` when dockerd or the server could not be read. */
interface ServerFacts {
  error?: string;
  container?: ContainerDetail;
  /** the planned network (by name); undefined: the server has none by that name */
  network?: NetworkInfo;
  /** the uplink as the server sees it; undefined: not read (then `uplinkError`) */
  uplink?: PortState;
  uplinkError?: string;
}

interface HttpFacts {
  family: 4 | 6;
  from: string;
  source: string;
  ok: boolean;
  status: number;
  server: string;
  error?: string;
}

export interface WhyFacts {
  server: ServerFacts;
  switches: Record<string, SwitchFacts>;
  http: HttpFacts[];
  /** epoch ms when the reads were done (ages are counted from it) */
  now: number;
}

/** The container's host prefixes: its /32 and, dual stack, its /128. */
export function prefixesOf(c: ContainerPlan): string[] {
  return [`${c.ip}/32`, ...(c.ip6 ? [`${c.ip6}/128`] : [])];
}

export async function readWhy(ctx: FabricContext, c: ContainerPlan): Promise<WhyFacts> {
  const [server, outcomes, http] = await Promise.all([
    readServer(ctx, c),
    forEachNode(ctx.plan.switches, ctx.parallel, (sw) => readSwitch(ctx, sw, c)),
    readHttp(ctx, c),
  ]);
  const switches = Object.fromEntries(
    outcomes.map((o) => [o.node, o.ok ? o.value! : { error: o.error ?? 'failed', vtysh: [], bgp: {}, agentSaid: {} }]),
  );
  return { server, switches, http, now: Date.now() };
}

/** The status command, then the prefix's BGP entries, the sessions and (its leaf) the agent's words, split by marks. */
function whySwitchCommand(ctx: FabricContext, sw: SwitchPlan, c: ContainerPlan): string {
  const { show, agent } = platformOf(sw);
  const parts = [switchStatusCommand(ctx.plan, sw)];
  for (const p of prefixesOf(c)) parts.push(show.bgpRoute ? show.bgpRoute.command(p) : 'true');
  parts.push(show.bgpNeighbors ? show.bgpNeighbors.command() : 'true');
  if (sw.name === c.leaf) for (const p of prefixesOf(c)) parts.push(agent.lastWords ? agent.lastWords.command(p) : 'true');
  return parts.join(`; echo; echo ${WHY_MARK}; `);
}

function parseWhySwitch(stdout: string, sw: SwitchPlan, c: ContainerPlan): SwitchFacts {
  const { show, agent } = platformOf(sw);
  const { text, failed } = show.failures.take(stdout);
  const [statusText = '', ...rest] = text.split(WHY_MARK);
  const prefixes = prefixesOf(c);
  const facts: SwitchFacts = { vtysh: failed, bgp: {}, agentSaid: {} };
  try {
    facts.answer = parseSwitchStatus(statusText, sw);
  } catch (e) {
    facts.error = messageOf(e);
  }
  prefixes.forEach((p, i) => {
    facts.bgp[p] = quietly(() => show.bgpRoute?.parse(rest[i] ?? ''));
  });
  facts.sessions = quietly(() => show.bgpNeighbors?.parse(rest[prefixes.length] ?? ''));
  if (sw.name === c.leaf) {
    prefixes.forEach((p, i) => {
      facts.agentSaid[p] = quietly(() => agent.lastWords?.parse(rest[prefixes.length + 1 + i] ?? ''));
    });
  }
  return facts;
}

/** A reading that could not be parsed is a reading not had: the status answer beside it says what the switch is. */
function quietly<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

async function readSwitch(ctx: FabricContext, sw: SwitchPlan, c: ContainerPlan): Promise<SwitchFacts> {
  const conn = await ctx.connect(sw);
  const r = await runRemote(conn, whySwitchCommand(ctx, sw, c), { what: 'reading its state', timeoutMs: 20_000, okStatus: 'any' });
  return parseWhySwitch(r.stdout, sw, c);
}

async function readServer(ctx: FabricContext, c: ContainerPlan): Promise<ServerFacts> {
  const server = ctx.plan.servers.find((s) => s.name === c.server)!;
  try {
    const conn = await ctx.connect(server);
    const docker = conn.docker();
    const uplink = runRemote(conn, LINUX_PORTS.show.command(), { what: 'reading its uplink', timeoutMs: 10_000 })
      .then((r) => ({ uplink: LINUX_PORTS.show.parse(r.stdout, [server.uplink.interface])[0] }))
      .catch((e: unknown) => ({ uplinkError: messageOf(e) }));
    const [container, network, port] = await Promise.all([docker.inspectContainer(c.name), docker.network(server.network.name), uplink]);
    return { ...(container ? { container } : {}), ...(network ? { network } : {}), ...port };
  } catch (e) {
    return { error: messageOf(e) };
  }
}

/** The container's page from the next rack's leaf, from its loopback (and its IPv6 loopback, dual stack). */
async function readHttp(ctx: FabricContext, c: ContainerPlan): Promise<HttpFacts[]> {
  const leaf = probeLeaf(ctx.plan, c);
  const asks: Array<{ family: 4 | 6; ip: string; source: string }> = [{ family: 4, ip: c.ip, source: leaf.loopback }];
  if (c.ip6 && leaf.loopback6) asks.push({ family: 6, ip: c.ip6, source: leaf.loopback6 });
  return Promise.all(
    asks.map(async ({ family, ip, source }): Promise<HttpFacts> => {
      try {
        const conn = await ctx.connect(leaf);
        const r = await runRemote(conn, httpProbeCommand(source, [ip], 3), { what: "fetching the container's page", timeoutMs: 15_000 });
        const a = [...parseHttpProbe(r.stdout).values()][0] ?? { status: 0, server: '' };
        return { family, from: leaf.name, source, ok: httpPassed(a.status, a.server), status: a.status, server: a.server };
      } catch (e) {
        return { family, from: leaf.name, source, ok: false, status: 0, server: '', error: messageOf(e) };
      }
    }),
  );
}
