/**
 * The embedded lab: the topology as freshly installed boxes on this machine (namespaces,
 * veths, a management bridge, sshd, FRR on switches, dockerd on servers). It configures
 * nothing else: `cldemo up` reaches the nodes over SSH and the Docker API like real hardware.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { assertSafeName } from '../transport/shell.js';
import { constants } from 'node:os';
import { join } from 'node:path';
import { messageOf, NodeError, OperationError, UsageError } from '../errors.js';
import { InterruptedError, interruptedBy } from '../interrupt.js';
import { inCidr, parseCidr, parseIpv4, formatIpv4 } from '../topology/ip.js';
import { TOPONAME } from '../topology/rules.js';
import type { Plan, Role } from '../topology/types.js';
import { LAB_SSH_USER } from './connection.js';
import { mounts, requireRoot } from './host.js';
import { LAB_SUDO_USER, writeNodeFiles } from './files.js';
import { localDocker } from '../transport/docker.js';
import { ensureApacheImage, importImage } from './image.js';
import { generateKey, hostKeyFile, labKey, writeKnownHosts } from './keys.js';
import { bridgeName, cgroupParent, mgmtVethName, nodePaths, nsDir, nsenterArgs, recordFile, labKeyFile, labKnownHostsFile, type NodePaths } from './names.js';
import { createBridge, createVeths, deleteLinks, linkExists, subnetUsers } from './network.js';
import { bootNode, createNamespaces, daemonPids, daemonStates, dockerSocket, waitFor } from './node.js';
import { ensurePackages } from './packages.js';
import { defaultConcurrency, eachLimit } from '../concurrency.js';
import { killAll, labProcesses, nsInode, removeCgroups } from './processes.js';
import { readRecord, writeRecord, type LabRecord, type NodeRecord } from './record.js';
import { run } from './run.js';
import { labStateDir, labStateRoot } from './state.js';

export { labStateDir } from './state.js';

export interface LabNodeStatus {
  name: string;
  role: Role;
  mgmt_ip: string;
  state: 'running' | 'stopped' | 'degraded';
  daemons: Record<string, boolean>;
}

export interface LabStatus {
  name: string;
  up: boolean;
  /** sudo_user: the unprivileged user every node also has (same key, passwordless sudo) */
  ssh: { user: string; identity_file: string; known_hosts: string; sudo_user: string };
  nodes: LabNodeStatus[];
}

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

interface LabNode {
  name: string;
  role: Role;
  mgmtIp: string;
  index: number;
  paths: NodePaths;
  ports: string[];
}

function labNodes(plan: Plan): LabNode[] {
  const nodes = [...plan.switches, ...plan.servers];
  return nodes.map((n, index) => ({
    name: n.name,
    role: n.role,
    mgmtIp: n.mgmt.host,
    index,
    paths: nodePaths(plan.name, n.name),
    ports: plan.links.flatMap((l) => [l.a, l.b]).filter((e) => e.node === n.name).map((e) => e.port),
  }));
}

function assertLab(plan: Plan, what: string): void {
  if (plan.provider !== 'lab') {
    throw new UsageError(`${plan.file}: provider is ${plan.provider}; \`cldemo lab ${what}\` needs provider: lab`);
  }
}

function requireLabRoot(what: string): void {
  requireRoot(`cldemo lab ${what} creates namespaces, mounts and interfaces: run it as root (sudo cldemo lab ${what} ...)`);
}

/** Images a server's containers name besides the topology's default one. */
function serverImages(plan: Plan, server: string): string[] {
  return [...new Set(plan.containers.filter((c) => c.server === server && c.image !== plan.image).map((c) => c.image))];
}

/** What the running lab was built from: a changed topology means rebuilding, not "already up". */
function planDigest(plan: Plan): string {
  const shape = { nodes: labNodes(plan).map(({ name, role, mgmtIp, ports }) => ({ name, role, mgmtIp, ports })), links: plan.links, image: plan.image, images: [...new Set(plan.containers.map((c) => c.image))].sort(), mgmt: plan.lab };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

export async function labUp(plan: Plan, opts: LabUpOptions): Promise<void> {
  assertLab(plan, 'up');
  requireLabRoot('up');
  const log = opts.log;
  const existing = readRecord(plan.name);
  if (existing) {
    if (existing.complete && existing.planDigest === planDigest(plan) && (await labStatus(plan)).up) {
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

export async function labDown(plan: Plan): Promise<void> {
  assertLab(plan, 'down');
  await labDownByName(plan.name);
}

/** A name given on the command line becomes a path under the state directory: only a topology name may. */
export function assertLabName(name: string): void {
  if (!TOPONAME.test(name)) throw new UsageError(`lab down --name ${JSON.stringify(name).slice(0, 40)}: not a lab name (a-z, 0-9, -; see \`cldemo lab list\`)`);
}

/** Removes a lab by its name alone, from its record: the topology file may be long gone. */
export async function labDownByName(name: string): Promise<boolean> {
  assertLabName(name);
  requireLabRoot('down');
  const rec = readRecord(name);
  if (!rec) return false;
  await stopProcesses(rec);
  await deleteLinks([...Object.values(rec.nodes).map((n) => n.hostVeth), ...(rec.bridge ? [rec.bridge] : [])]);
  await unmount(Object.values(rec.nodes).flatMap((n) => [n.mntFile, n.utsFile, n.netnsFile]));
  for (const n of Object.values(rec.nodes)) rmSync(n.netnsFile, { force: true });
  if (rec.nsDirMounted) await unmount([rec.nsDir]);
  const left = mountsUnder(rec.stateDir);
  if (left.length) throw new OperationError(`lab ${rec.name}: still mounted, not removing ${rec.stateDir}: ${left.join(', ')}`);
  rmSync(rec.stateDir, { recursive: true, force: true });
  return true;
}

export interface LabListing {
  name: string;
  nodes: number;
  /** nodes whose network namespace still exists */
  namespaces: number;
  /** false: a crashed or failed `lab up` (or one still building) */
  complete: boolean;
  up_since: string;
  topology: string | null;
  topology_exists: boolean;
}

/** Every lab on this host, from the state directory (no topology file needed). */
export function labList(): LabListing[] {
  const root = labStateRoot();
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => TOPONAME.test(name))
    .sort()
    .flatMap((name) => {
      const file = recordFile(name);
      let rec: LabRecord | undefined;
      try {
        rec = readRecord(name);
      } catch {
        rec = undefined; // a torn or foreign file: not a lab we can describe
      }
      if (!rec) return [];
      const nodes = Object.values(rec.nodes);
      return [
        {
          name: rec.name,
          nodes: nodes.length,
          namespaces: nodes.filter((n) => existsSync(n.netnsFile)).length,
          complete: rec.complete,
          up_since: typeof rec.createdAt === 'string' ? rec.createdAt : statSync(file).mtime.toISOString(),
          topology: typeof rec.topologyFile === 'string' ? rec.topologyFile : null,
          topology_exists: typeof rec.topologyFile === 'string' && existsSync(rec.topologyFile),
        },
      ];
    });
}

async function stopProcesses(rec: LabRecord): Promise<void> {
  const nodes = Object.values(rec.nodes);
  const inodes = (files: string[]) => new Set(files.map(nsInode).filter((i): i is number => i !== undefined));
  const ns = { net: inodes(nodes.map((n) => n.netnsFile)), mnt: inodes(nodes.map((n) => n.mntFile)) };
  const { running, unreaped } = await killAll(() => labProcesses(ns));
  const left = [
    ...(running.length ? [`processes ${running.join(', ')} did not exit`] : []),
    ...(unreaped.length ? [`processes ${unreaped.join(', ')} exited but their parent (PID 1, for daemons) has not reaped them`] : []),
  ];
  if (left.length) throw new OperationError(`lab ${rec.name}: ${left.join('; ')}; the namespaces and files stay (\`cldemo lab down\` again retries)`);
  removeCgroups(nodes.filter((n) => n.role === 'server').map((n) => n.cgroupParent));
}

function mountsUnder(dir: string): string[] {
  return mounts()
    .map((m) => m.target)
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

function mounted(): Set<string> {
  return new Set(mounts().map((m) => m.target));
}

async function unmount(targets: string[]): Promise<void> {
  const m = mounted();
  const present = targets.filter((t) => m.has(t));
  if (present.length) await run('umount', present);
}

export async function labStatus(plan: Plan): Promise<LabStatus> {
  assertLab(plan, 'status');
  const rec = readRecord(plan.name);
  const nodes = await Promise.all(labNodes(plan).map(nodeStatus));
  const ssh = plan.switches[0]?.mgmt ?? plan.servers[0]?.mgmt;
  return {
    name: plan.name,
    up: Boolean(rec?.complete) && nodes.every((n) => n.state === 'running'),
    ssh: {
      user: ssh?.user ?? LAB_SSH_USER,
      identity_file: ssh?.identityFile ?? labKeyFile(plan.name),
      known_hosts: ssh?.knownHosts ?? labKnownHostsFile(plan.name),
      sudo_user: LAB_SUDO_USER,
    },
    nodes,
  };
}

async function nodeStatus(n: LabNode): Promise<LabNodeStatus> {
  const daemons = await daemonStates(n.role, n.mgmtIp, n.paths);
  const values = Object.values(daemons);
  const state = values.every(Boolean) ? 'running' : values.some(Boolean) ? 'degraded' : 'stopped';
  return { name: n.name, role: n.role, mgmt_ip: n.mgmtIp, state, daemons };
}

/**
 * Fabric commands on a lab topology call this first: when the lab is not built, every node
 * would fail the same way (no known_hosts, no address), so it is said once here instead.
 */
export function assertLabUp(plan: Plan): void {
  if (plan.provider !== 'lab') return;
  const rec = readRecord(plan.name);
  const built = rec?.complete && labNodes(plan).every((n) => nsInode(n.paths.netnsFile) !== undefined);
  if (!built) throw new OperationError(`lab ${plan.name} is not up: run cldemo lab up`);
}

/** Runs argv inside a node, as `docker exec` would; resolves to its exit code. */
export async function labExec(plan: Plan, node: string, argv: string[], stdio: StdioOptions = 'inherit'): Promise<number> {
  assertLab(plan, 'exec');
  const n = labNodes(plan).find((x) => x.name === node);
  if (!n) throw new UsageError(`no node ${node} in ${plan.file} (nodes: ${labNodes(plan).map((x) => x.name).join(', ')})`);
  if (!argv.length) throw new UsageError('lab exec: no command given (cldemo lab exec NODE -- CMD [ARGS...])');
  requireLabRoot('exec');
  if (nsInode(n.paths.netnsFile) === undefined) throw new OperationError(`lab ${plan.name} is not up (${node} has no namespaces): run cldemo lab up`);
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [...nsenterArgs(n.paths), '--', ...argv], { stdio });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
}

export interface CaptureOptions {
  node: string;
  iface: string;
  count?: number;
  /** the pcap goes here; without it, to stdout (as text when stdout is a terminal) */
  file?: string;
  filter: string[];
}

/** tcpdump inside a node, its pcap written on the host; resolves to tcpdump's exit code. */
export async function labCapture(plan: Plan, opts: CaptureOptions): Promise<number> {
  assertSafeName(opts.iface, 'interface');
  const toTerminal = !opts.file && Boolean(process.stdout.isTTY);
  // -U: every packet is flushed at once, so a pipe to wireshark sees it live
  const argv = ['tcpdump', '-i', opts.iface, ...(toTerminal ? ['-n', '-l'] : ['-U', '-w', '-']), ...(opts.count ? ['-c', String(opts.count)] : []), ...opts.filter];
  const out = opts.file ? openSync(opts.file, 'w') : 'inherit';
  try {
    const code = await labExec(plan, opts.node, argv, ['ignore', out, 'inherit']);
    if (code === 127) throw new OperationError(`tcpdump is not installed on this host (the lab's nodes use the host's programs): apt-get install tcpdump, or run scripts/setup.sh`);
    return code;
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return (signal && constants.signals[signal]) || 1;
}
