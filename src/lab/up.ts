/**
 * `lab up`: the topology as freshly installed boxes on this machine (namespaces, veths, a
 * management bridge, sshd, FRR on switches, dockerd on servers). It configures nothing else:
 * `cldemo up` reaches the nodes over SSH and the Docker API like real hardware. Every name is
 * recorded before it is created (record.ts), so `lab down` removes what a failed run left.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, NodeError, OperationError } from '../errors.js';
import { InterruptedError, interruptedBy } from '../interrupt.js';
import { inCidr, parseCidr, parseIpv4, formatIpv4 } from '../topology/ip.js';
import type { Plan } from '../topology/types.js';
import { mounts } from './host.js';
import { writeNodeFiles } from './files.js';
import { localDocker } from '../transport/docker.js';
import { ensureApacheImage, importImage } from './image.js';
import { generateKey, hostKeyFile, labKey, writeKnownHosts } from './keys.js';
import { bridgeName, cgroupParent, mgmtVethName, nsDir, labKnownHostsFile } from './names.js';
import { createBridge, createVeths, linkExists, subnetUsers } from './network.js';
import { bootNode, createNamespaces, daemonPids, daemonStates, dockerSocket, waitFor } from './node.js';
import { ensurePackages } from './packages.js';
import { applyDeclared, assertNetem } from './impair.js';
import { linkName } from '../topology/endpoints.js';
import { defaultConcurrency, eachLimit } from '../concurrency.js';
import { readRecord, writeRecord, type LabRecord, type NodeRecord } from './record.js';
import { run } from './run.js';
import { labStateDir } from './state.js';
import { labDown, labDownByName } from './down.js';
import { labStatus } from './inspect.js';
import { assertLab, labNodes, requireLabRoot, type LabNode } from './lab-nodes.js';

export interface LabUpOptions {
  install: boolean;
  /** `finished`: nothing more will be said about that node ('lab' when the lab was already up) */
  log: (node: string, msg: string, finished?: boolean) => void;
  /** nodes prepared at once (default: twice the cores; the work mostly waits on processes) */
  concurrency?: number;
  /** how long one node may take to answer once started */
  readyTimeoutMs?: number;
  /** where the Apache image is cached (default: the image module's machine-wide cache) */
  imageCacheDir?: string;
  /** aborted by Ctrl-C / SIGTERM: no node starts a new stage; the lab is left incomplete (the next lab up rebuilds it) */
  signal?: AbortSignal;
  /** on failure, leave the partial lab for inspection instead of removing it */
  keepOnFailure?: boolean;
}

/** Images a server's containers name besides the topology's default one. */
function serverImages(plan: Plan, server: string): string[] {
  return [...new Set(plan.containers.filter((c) => c.server === server && c.image !== plan.image).map((c) => c.image))];
}

/** What the running lab was built from: a changed topology means rebuilding, not "already up". */
function planDigest(plan: Plan): string {
  // a link's impairment is put on and off the running lab: changing one rebuilds nothing
  const links = plan.links.map(({ impair: _impair, ...l }) => l);
  const shape = {
    nodes: labNodes(plan).map(({ name, role, mgmtIp, ports }) => ({ name, role, mgmtIp, ports })),
    links,
    image: plan.image,
    images: [...new Set(plan.containers.map((c) => c.image))].sort(),
    mgmt: plan.lab,
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

export async function labUp(plan: Plan, opts: LabUpOptions): Promise<void> {
  assertLab(plan, 'up');
  requireLabRoot('up');
  const log = opts.log;
  // a declared delay on a kernel without netem: said before anything is built
  for (const l of plan.links) if (l.impair) await assertNetem(l.impair, `${plan.file}: link ${linkName(l)}`);
  const existing = readRecord(plan.name);
  if (existing) {
    if (existing.complete && existing.planDigest === planDigest(plan) && (await labStatus(plan)).up) {
      await applyDeclared(plan, (m) => log('impair', m));
      log('lab', 'already up', true);
      return;
    }
    log('lab', 'removing the previous, incomplete or changed lab first');
    await labDown(plan);
  }
  await ensurePackages(opts.install, (m) => log('lab', m));
  await assertNamesFree(plan);
  // the image is cached after the first build; its check overlaps with building the nodes
  const image = plan.servers.length ? ensureApacheImage({ log: (m) => log('image', m), install: opts.install, cacheDir: opts.imageCacheDir }) : undefined;
  image?.catch(() => {}); // awaited by the first server; a node failing earlier must not leave it unhandled
  const rec = startRecord(plan);
  try {
    await prepareHost(rec);
    await buildNodes(plan, rec, opts, image);
    stopIfInterrupted(opts, 'the last stage');
  } catch (e) {
    // interrupted: the record stays, and says so; the next lab up rebuilds it, lab down removes it
    if (e instanceof InterruptedError) throw e;
    if (opts.keepOnFailure) throw withNote(e, 'the partial lab stays for inspection: `cldemo lab down` removes it');
    log('lab', 'failed: removing the partial lab');
    const removed = await labDownByName(plan.name).then(
      () => 'the partial lab was removed (`lab up --keep-on-failure` keeps it for inspection)',
      (down: Error) => `removing the partial lab failed too: ${down.message}; \`cldemo lab down --name ${plan.name}\` retries`,
    );
    throw withNote(e, removed);
  }
  rec.complete = true;
  writeRecord(rec);
  await applyDeclared(plan, (m) => log('impair', m));
}

/** The same error, one line longer: what happened to the partial lab. */
function withNote(e: unknown, note: string): Error {
  return new OperationError(`${messageOf(e)}\n(${note})`);
}

/** Refuses to build over anything this lab did not record: another lab, or someone else's. */
async function assertNamesFree(plan: Plan): Promise<void> {
  const problems: string[] = [];
  for (const n of labNodes(plan)) {
    if (existsSync(n.paths.netnsFile)) problems.push(`network namespace ${n.paths.netns} already exists`);
    const veth = mgmtVethName(plan.name, n.index);
    if (linkExists(veth)) problems.push(`interface ${veth} already exists`);
  }
  if (linkExists(bridgeName(plan.name))) problems.push(`bridge ${bridgeName(plan.name)} already exists`);
  const subnet = parseCidr(plan.lab.mgmtSubnet)!;
  const users = await subnetUsers((ip) => inCidr(parseIpv4(ip) ?? -1, subnet), bridgeName(plan.name));
  if (users.length) problems.push(`management subnet ${plan.lab.mgmtSubnet} is already used on ${users.join(', ')}`);
  if (problems.length) {
    throw new OperationError(
      `cannot build lab ${plan.name}: ${problems.join('; ')} (not recorded by this lab: another lab or tool owns it; change the topology's name or lab.mgmt_subnet)`,
    );
  }
}

/** Every name the lab is about to create, written down before any of it exists. */
function startRecord(plan: Plan): LabRecord {
  const stateDir = labStateDir(plan.name);
  const nodes: Record<string, NodeRecord> = {};
  for (const n of labNodes(plan)) {
    nodes[n.name] = {
      role: n.role,
      mgmtIp: n.mgmtIp,
      ...n.paths,
      hostVeth: mgmtVethName(plan.name, n.index),
      cgroupParent: cgroupParent(plan.name, n.name),
      pids: {},
    };
  }
  const rec: LabRecord = {
    version: 1,
    name: plan.name,
    stateDir,
    nsDir: nsDir(plan.name),
    nsDirMounted: false,
    bridge: bridgeName(plan.name),
    mgmtSubnet: plan.lab.mgmtSubnet,
    planDigest: planDigest(plan),
    nodes,
    complete: false,
    topologyFile: plan.file,
    createdAt: new Date().toISOString(),
  };
  writeRecord(rec);
  return rec;
}

/** The mount-namespace handles must sit on a private mount, or the bind would propagate into itself. */
async function prepareHost(rec: LabRecord): Promise<void> {
  mkdirSync(rec.nsDir, { recursive: true });
  rec.nsDirMounted = true;
  writeRecord(rec);
  await run('mount', ['--bind', rec.nsDir, rec.nsDir]);
  await run('mount', ['--make-private', rec.nsDir]);
  // mount points the nodes bind their private directories onto
  mkdirSync('/run/netns', { recursive: true });
  await netnsDirIsMountPoint();
  mkdirSync('/var/lib/docker', { recursive: true, mode: 0o711 });
}

/**
 * /run/netns becomes a mount point of its own, shared, before the first node's namespace is
 * bound into it: what `ip netns add` does when it finds a plain directory. Done after our
 * binds, iproute2's own rbind would cover them, and lab down could no longer remove them
 * (EBUSY). Like iproute2's, it stays: it holds nothing and the next `ip netns` expects it.
 */
async function netnsDirIsMountPoint(): Promise<void> {
  if (mounts().some((m) => m.target === '/run/netns')) return;
  await run('mount', ['--rbind', '/run/netns', '/run/netns']);
  await run('mount', ['--make-rshared', '/run/netns']);
}

async function buildNodes(plan: Plan, rec: LabRecord, opts: LabUpOptions, image?: Promise<{ tarball: string }>): Promise<void> {
  const limit = opts.concurrency ?? defaultConcurrency();
  const nodes = labNodes(plan);
  const authorizedKey = await labKey(plan.name);
  const hostKeys = new Map<string, string>();
  const stage = (fn: (n: LabNode) => Promise<void>) => runStage(nodes, limit, fn, opts.signal);
  await stage(async (n) => {
    opts.log(n.name, 'creating namespaces');
    writeNodeFiles({ name: n.name, role: n.role, mgmtIp: n.mgmtIp, paths: n.paths, authorizedKey, cgroupParent: cgroupParent(plan.name, n.name) });
    hostKeys.set(n.name, await generateKey(hostKeyFile(n.paths.dir), `root@${n.name}`));
    await createNamespaces(n.name, n.role, n.paths);
  });
  // before the known_hosts: an interrupted stage leaves nodes without a host key
  stopIfInterrupted(opts, 'creating namespaces');
  writeKnownHosts(
    labKnownHostsFile(plan.name),
    nodes.map((n) => ({ host: n.mgmtIp, port: 22, publicKey: hostKeys.get(n.name)! })),
  );
  await wire(plan, rec, nodes);
  const prefix = parseCidr(plan.lab.mgmtSubnet)!.prefix;
  await stage(async (n) => {
    opts.log(n.name, n.role === 'server' ? 'starting sshd and dockerd' : 'starting sshd and FRR');
    await bootNode({ node: n.name, role: n.role, mgmtIp: n.mgmtIp, prefix, ports: n.ports, paths: n.paths });
    await waitReady(n, opts.readyTimeoutMs ?? 60_000);
    rec.nodes[n.name].pids = daemonPids(n.role, n.paths.dir);
    writeRecord(rec);
    if (n.role === 'server') {
      opts.log(n.name, `loading ${plan.image}`);
      const docker = localDocker(n.name, dockerSocket(n.paths.dir));
      await importImage(docker, (await image!).tarball, plan.image);
      for (const other of serverImages(plan, n.name)) await docker.tagImage(plan.image, other);
    }
    opts.log(n.name, 'ready', true);
  });
}

/** After an interrupt the lab stays recorded but incomplete: `lab up` rebuilds it, `lab down` removes it. */
function stopIfInterrupted(opts: LabUpOptions, stage: string): void {
  const sig = interruptedBy(opts.signal);
  if (!sig) return;
  throw new InterruptedError(sig, `lab up stopped after ${stage}; the partial lab is recorded: \`cldemo lab up\` rebuilds it, \`cldemo lab down\` removes it`);
}

/** Runs one stage on every node; a failure names its node, and every node's failure is reported. */
async function runStage(nodes: LabNode[], limit: number, fn: (n: LabNode) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const errors = await eachLimit(
    nodes,
    limit,
    async (n) => {
      try {
        await fn(n);
      } catch (e) {
        throw e instanceof NodeError ? e : new NodeError(n.name, messageOf(e));
      }
    },
    signal,
  );
  if (errors.length === 1) throw errors[0];
  if (errors.length) throw new OperationError(errors.map(messageOf).join('\n'));
}

async function wire(plan: Plan, rec: LabRecord, nodes: LabNode[]): Promise<void> {
  const gateway = formatIpv4(parseCidr(plan.lab.mgmtSubnet)!.network + 1);
  await createBridge(rec.bridge!, gateway, parseCidr(plan.lab.mgmtSubnet)!.prefix);
  const netns = (node: string) => nodes.find((n) => n.name === node)!.paths.netns;
  await createVeths(
    rec.bridge!,
    nodes.map((n) => ({ hostName: rec.nodes[n.name].hostVeth, netns: n.paths.netns, nodeName: plan.lab.mgmtInterface })),
    plan.links.map((link) => ({ link, netnsA: netns(link.a.node), netnsB: netns(link.b.node) })),
  );
}

async function waitReady(n: LabNode, timeoutMs: number): Promise<void> {
  let last: Record<string, boolean> = {};
  try {
    await waitFor(
      n.name,
      async () => {
        last = await daemonStates(n.role, n.mgmtIp, n.paths);
        return Object.values(last).every(Boolean);
      },
      timeoutMs,
    );
  } catch {
    const down = Object.entries(last).filter(([, ok]) => !ok).map(([d]) => d);
    throw new NodeError(n.name, `${down.join(', ')} not running after ${timeoutMs / 1000} s (logs: ${join(n.paths.dir, 'var-log')})`);
  }
}
