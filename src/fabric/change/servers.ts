/**
 * A server's share of `up` and `down`: its uplink config (syncConfig, as a switch's), its
 * macvlan network and its containers, through the Docker API over the server's SSH connection.
 */
import { createHash } from 'node:crypto';
import { NodeError, messageOf } from '../../errors.js';
import type { ContainerSummary, DockerEngine, Ipv6Pool, NetworkInfo } from '../../transport/docker-engine.js';
import type { NodeConnection } from '../../transport/node-connection.js';
import type { ContainerPlan, Plan, ServerPlan } from '../../topology/types.js';
import type { RenderedNode } from '../../render/index.js';
import { auxAddresses, auxAddresses6 } from '../../topology/plan.js';
import { canonicalIpv6, formatCidr6, parseCidr6, parseIpv6 } from '../../topology/ip.js';
import { retryOnLostConnection, type FabricContext } from '../context.js';
import { runRemote } from '../remote.js';
import { eachLimit } from '../../concurrency.js';
import type { Change } from './changes.js';
import { platformOf, type ArpProbeResult } from '../../platforms/index.js';
import { syncConfig } from './sync-config.js';
import { LABEL_TOPOLOGY } from '../labels.js';

export const LABEL_SPEC = 'cldemo.spec';
const LABEL_SERVER = 'cldemo.server';
const RESTART_POLICY = 'unless-stopped' as const;
/**
 * Containers created or started at once on one server. Dozens of concurrent creates only
 * thrash an engine; measured at 256 containers on 8 lab servers sharing 2 cores, `up` took
 * 77 s unbounded, 62.6 s at 4, 55.6 s at 2, 51.5 s at 1. Real servers have their own cores.
 */
export const DEFAULT_CONTAINER_PARALLEL = 2;

/** The spec label: a container whose spec hash differs from the plan's is recreated. */
export function containerSpec(plan: Plan, server: ServerPlan, c: ContainerPlan): string {
  const n = server.network;
  // dual stack adds its fields; an IPv4-only container's spec (and label) is what it always was
  const v6 = c.ip6 ? { ip6: c.ip6, subnet6: n.subnet6, gateway6: n.gateway6 } : {};
  const spec = { image: c.image, ip: c.ip, network: n.name, parent: n.parent, subnet: n.subnet, gateway: n.gateway, restart: RESTART_POLICY, ...v6 };
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

/** What `up` does to one container, decided from what the server reports. */
type ContainerAction = 'keep' | 'start' | 'create' | 'recreate';

/**
 * `networkNew`: the server had no network by the plan's name, so this run creates it. A container
 * of ours that is there all the same was on a network someone removed (Docker lets a network go
 * while its containers are stopped): it names the old network's id and would never start again.
 */
function decideContainer(existing: ContainerSummary | undefined, plan: Plan, spec: string, networkNew: boolean): ContainerAction {
  if (!existing) return 'create';
  if (existing.labels[LABEL_TOPOLOGY] !== plan.name) return 'create'; // a conflict; ensureContainers names it
  if (existing.labels[LABEL_SPEC] !== spec || networkNew) return 'recreate';
  return existing.running ? 'keep' : 'start';
}

export interface ServerUpOptions {
  dryRun: boolean;
  files: RenderedNode;
  containerParallel?: number;
  /** resolves once the leaf's own share of the run has ended (its server port configured) */
  leafReady?: (leaf: string) => Promise<void>;
}

export async function upServer(ctx: FabricContext, server: ServerPlan, opts: ServerUpOptions): Promise<Change[]> {
  const { progress } = ctx;
  const conn = await ctx.connect(server);
  const changes = await syncConfig(ctx, conn, server, { dryRun: opts.dryRun, files: opts.files, say: { comparing: 'uplink config', installing: false } });
  progress({ kind: 'step', node: server.name, doing: 'docker' });
  const docker = conn.docker();
  await dockerReachable(conn, docker);
  await imagesPresent(conn, docker, server);
  progress({ kind: 'step', node: server.name, doing: `network ${server.network.name}` });
  const network = await ensureNetwork(ctx, conn, docker, server, opts.dryRun);
  const networkNew = network.some((c) => c.type === 'network' && c.action === 'create');
  changes.push(...network, ...(await ensureContainers(ctx, conn, docker, server, opts, networkNew)));
  return changes;
}

async function dockerReachable(conn: NodeConnection, docker: DockerEngine): Promise<void> {
  try {
    await docker.ping();
  } catch (e) {
    throw new NodeError(conn.node, `the Docker engine does not answer on /var/run/docker.sock (is dockerd running?): ${messageOf(e)}`);
  }
}

async function imagesPresent(conn: NodeConnection, docker: DockerEngine, server: ServerPlan): Promise<void> {
  for (const image of new Set(server.containers.map((c) => c.image))) {
    if (!(await docker.image(image))) {
      throw new NodeError(conn.node, `image ${image} is not on this server; load it first (docker load / docker import; the lab loads it at lab up)`);
    }
  }
}

function networkMatches(info: NetworkInfo, server: ServerPlan, plan: Plan): boolean {
  const n = server.network;
  return (
    info.driver === 'macvlan' &&
    info.parent === n.parent &&
    info.subnet === n.subnet &&
    info.gateway === n.gateway &&
    JSON.stringify(sortKeys(info.auxAddresses)) === JSON.stringify(sortKeys(auxAddresses(plan, server.name))) &&
    ipv6Matches(info, server, plan) &&
    info.labels[LABEL_TOPOLOGY] === plan.name
  );
}

/** IPv6 on exactly when the plan is dual stack, with the plan's pool (Docker may spell an address otherwise). */
function ipv6Matches(info: NetworkInfo, server: ServerPlan, plan: Plan): boolean {
  const want = ipv6Pool(plan, server);
  if (!want || !info.ipv6) return !want && !info.ipv6;
  const same = (a: string | undefined, b: string) => a !== undefined && sameIpv6(a, b);
  const aux = (m: Record<string, string>) => JSON.stringify(sortKeys(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, canonicalOr(v)]))));
  return same(info.ipv6.subnet, want.subnet) && same(info.ipv6.gateway, want.gateway) && aux(info.ipv6.auxAddresses) === aux(want.auxAddresses);
}

/** The network's IPv6 pool as `up` creates it, or undefined for an IPv4-only plan. */
function ipv6Pool(plan: Plan, server: ServerPlan): Required<Ipv6Pool> | undefined {
  const n = server.network;
  if (!n.subnet6 || !n.gateway6) return undefined;
  return { subnet: n.subnet6, gateway: n.gateway6, auxAddresses: auxAddresses6(plan, server.name) };
}

async function ensureNetwork(ctx: FabricContext, conn: NodeConnection, docker: DockerEngine, server: ServerPlan, dryRun: boolean): Promise<Change[]> {
  const n = server.network;
  const info = await docker.network(n.name);
  if (info && networkMatches(info, server, ctx.plan)) return [];
  if (info && info.labels[LABEL_TOPOLOGY] !== ctx.plan.name) {
    const label = `${LABEL_TOPOLOGY}=${info.labels[LABEL_TOPOLOGY] ?? 'none'}`;
    throw new NodeError(conn.node, `a Docker network named ${n.name} exists but is not this topology's (label ${label}); remove it or rename the topology`);
  }
  const change: Change = { type: 'network', action: info ? 'recreate' : 'create', name: n.name };
  if (dryRun) return [change];
  if (info) {
    // containers hang on to their network: ours go first, and are recreated below
    const ours = await docker.listContainers({ label: `${LABEL_TOPOLOGY}=${ctx.plan.name}`, network: n.name });
    await Promise.all(ours.map((c) => docker.removeContainer(c.id)));
    await docker.removeNetwork(n.name);
  }
  await docker.createMacvlanNetwork({
    name: n.name,
    parent: n.parent,
    subnet: n.subnet,
    gateway: n.gateway,
    auxAddresses: auxAddresses(ctx.plan, server.name),
    ...(ipv6Pool(ctx.plan, server) ? { ipv6: ipv6Pool(ctx.plan, server) } : {}),
    labels: { [LABEL_TOPOLOGY]: ctx.plan.name },
  });
  return [change];
}

async function ensureContainers(
  ctx: FabricContext,
  conn: NodeConnection,
  docker: DockerEngine,
  server: ServerPlan,
  opts: ServerUpOptions,
  networkNew: boolean,
): Promise<Change[]> {
  const { dryRun } = opts;
  const parallel = opts.containerParallel ?? DEFAULT_CONTAINER_PARALLEL;
  const { plan } = ctx;
  const { stale, decisions } = containerDecisions(plan, conn, server, await docker.listContainers(), networkNew);
  const changes: Change[] = [
    ...stale.map((c): Change => ({ type: 'container', action: 'remove', name: c.name, stale: true })),
    ...decisions.flatMap((d): Change[] => (d.action === 'keep' ? [] : [{ type: 'container', action: d.action, name: d.c.name }])),
  ];
  if (dryRun) return changes;

  const gone = [...stale, ...decisions.filter((d) => d.action === 'recreate').map((d) => d.existing!)];
  await Promise.all(gone.map((c) => docker.removeContainer(c.id)));
  const toCreate = decisions.filter((d) => d.action === 'create' || d.action === 'recreate');
  await refuseTakenAddresses(ctx, server, toCreate.map((d) => d.c), opts.leafReady);
  const work = [
    ...decisions.filter((d) => d.action === 'start').map((d) => () => docker.startContainer(d.existing!.id)),
    ...toCreate.map((d) => () => createContainer(docker, plan, server, d.c, d.spec)),
  ];
  let finished = 0;
  const report = (): void => ctx.progress({ kind: 'step', node: server.name, doing: `containers ${finished}/${work.length} started` });
  if (work.length > 0) report();
  const errors = await eachLimit(work, parallel, (job) => job().then(() => {
    finished += 1;
    report();
  }));
  if (errors.length > 0) throw everyError(conn.node, errors);
  return changes;
}

/** What each planned container needs (and the topology's containers the plan no longer has): by name, compared with what the server runs. */
function containerDecisions(plan: Plan, conn: NodeConnection, server: ServerPlan, all: ContainerSummary[], networkNew: boolean) {
  const byName = new Map(all.map((c) => [c.name, c] as const));
  const planned = new Set(server.containers.map((c) => c.name));
  const stale = all.filter((c) => c.labels[LABEL_TOPOLOGY] === plan.name && !planned.has(c.name));
  const decisions = server.containers.map((c) => {
    const spec = containerSpec(plan, server, c);
    const existing = byName.get(c.name);
    if (existing && existing.labels[LABEL_TOPOLOGY] !== plan.name) {
      throw new NodeError(conn.node, `a container named ${c.name} exists but is not this topology's; remove it first`);
    }
    return { c, spec, existing, action: decideContainer(existing, plan, spec, networkNew) };
  });
  return { stale, decisions };
}

async function createContainer(docker: DockerEngine, plan: Plan, server: ServerPlan, c: ContainerPlan, spec: string): Promise<void> {
  const id = await docker.createContainer({
    name: c.name,
    image: c.image,
    labels: { [LABEL_TOPOLOGY]: plan.name, [LABEL_SPEC]: spec, [LABEL_SERVER]: server.name },
    network: server.network.name,
    ip: c.ip,
    ...(c.ip6 ? { ip6: c.ip6 } : {}),
    restart: RESTART_POLICY,
  });
  await docker.startContainer(id);
}

/**
 * An address that already answers ARP (or, dual stack, a neighbor solicitation) behind the leaf
 * belongs to someone else: refuse it. The leaf asks from its server port, so first its own share
 * of the run must have configured it.
 */
async function refuseTakenAddresses(ctx: FabricContext, server: ServerPlan, containers: ContainerPlan[], leafReady?: (leaf: string) => Promise<void>): Promise<void> {
  if (containers.length === 0) return;
  const leaf = ctx.plan.switches.find((s) => s.name === server.uplink.leaf);
  if (!leaf) throw new NodeError(server.name, `its leaf ${server.uplink.leaf} is not in the topology`);
  if (leafReady) {
    ctx.progress({ kind: 'step', node: server.name, doing: `waiting for ${leaf.name} to configure ${server.uplink.port}` });
    await leafReady(leaf.name);
  }
  const ips = containers.flatMap((c) => (c.ip6 ? [c.ip, c.ip6] : [c.ip]));
  const tool = ctx.plan.ipv6 ? 'arping and ndisc6' : 'arping';
  ctx.progress({ kind: 'step', node: server.name, doing: `checking ${ips.length} addresses are free (${tool} from ${leaf.name})` });
  let answered: string;
  try {
    // the leaf's connection is the leaf's share's too: if it dropped under us, ask once more
    answered = await retryOnLostConnection(ctx, leaf.name, async () => {
      const conn = await ctx.connect(leaf);
      const probe = platformOf(leaf).probes.arp.command(server.uplink.port, ips);
      return (await runRemote(conn, probe, { what: `${tool} the container addresses`, timeoutMs: 15_000 })).stdout;
    });
  } catch (e) {
    throw new NodeError(server.name, `cannot check from ${leaf.name} that the container addresses are free, so nothing was created: ${messageOf(e)}`);
  }
  refuseWhatAnswered(ctx, server, containers, ips, platformOf(leaf).probes.arp.parse(answered, ips), tool);
}

/** The check's verdict: an address that could not be asked, or that someone answers for, stops the server. */
function refuseWhatAnswered(ctx: FabricContext, server: ServerPlan, containers: ContainerPlan[], ips: string[], result: ArpProbeResult, tool: string): void {
  const { taken, failed } = result;
  const leaf = server.uplink.leaf;
  if (failed.length > 0) {
    const why = [...new Set(failed.map((f) => f.why))].join('; ');
    const which = failed.length === ips.length ? 'any address' : failed.map((f) => f.ip).join(', ');
    throw new NodeError(
      server.name,
      `cannot check from ${leaf} that the container addresses are free, so nothing was created: ${tool} on ${server.uplink.port} could not ask for ${which}: ${why}`,
    );
  }
  if (taken.length > 0) {
    const one = taken.length === 1;
    const names = containers.filter((c) => taken.includes(c.ip) || (c.ip6 !== undefined && taken.includes(c.ip6))).map((c) => c.name).join(', ');
    const asked = ctx.plan.ipv6 ? 'ARP or neighbor discovery' : 'ARP';
    throw new NodeError(
      server.name,
      `${taken.join(', ')} already answer${one ? 's' : ''} ${asked} on ${leaf} ${server.uplink.port}: ` +
        `someone else has ${one ? 'that address' : 'those addresses'}; not creating ${names}`,
    );
  }
}

export async function downServer(ctx: FabricContext, server: ServerPlan): Promise<Change[]> {
  const conn = await ctx.connect(server);
  const docker = conn.docker();
  await dockerReachable(conn, docker);
  const label = `${LABEL_TOPOLOGY}=${ctx.plan.name}`;
  const containers = await docker.listContainers({ label });
  await Promise.all(containers.map((c) => docker.removeContainer(c.id)));
  const networks = await docker.listNetworks({ label });
  await Promise.all(networks.map((n) => docker.removeNetwork(n.id)));
  return [
    ...containers.map((c): Change => ({ type: 'container', action: 'remove', name: c.name })),
    ...networks.map((n): Change => ({ type: 'network', action: 'remove', name: n.name })),
  ];
}

/** One error stays itself; several become one that names every failure (the first alone would hide the rest). */
function everyError(node: string, errors: unknown[]): unknown {
  if (errors.length === 1) return errors[0];
  const withoutNode = (e: unknown) => messageOf(e).replace(new RegExp(`^${node}: `), '');
  return new NodeError(node, `${errors.length} container operations failed:\n  ${errors.map(withoutNode).join('\n  ')}`);
}

/** Two spellings of one IPv6 address or prefix. */
function sameIpv6(a: string, b: string): boolean {
  return canonicalOr(a) === canonicalOr(b);
}

function canonicalOr(s: string): string {
  if (s.includes('/')) {
    const c = parseCidr6(s);
    return c ? formatCidr6(c) : s;
  }
  return parseIpv6(s) === null ? s : canonicalIpv6(s);
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
