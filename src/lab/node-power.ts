/**
 * A lab node losing power, hanging, and coming back.
 *
 * - down: every interface of the node (eth0 too) is taken down first, so every peer loses
 *   carrier at once and nothing the dying processes' sockets send (a FIN, a BGP NOTIFICATION)
 *   leaves the box; then every process of the node (its containers included) is SIGKILLed.
 * - hang: every packet in every network namespace the node's processes use (its own, its
 *   containers') is dropped, ARP too, and every process is SIGSTOPped: carrier stays up and
 *   nothing answers or forwards, the case BGP's hold timer alone detects slowly.
 * - up: from a hang, the drops removed and the processes continued; from down, a reboot:
 *   what was mounted under /run and /var/lib/docker by the old processes is unmounted, /run
 *   starts empty, the interfaces come up and the node's own start (sshd, then FRR or dockerd)
 *   runs from the configs the node has; a leaf's redistribute-neighbor agent starts again
 *   when one is installed, and containers come back by their restart policy.
 * The state is read from the node each time: no processes means down, our drop chain means hung.
 */
import { readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OperationError } from '../errors.js';
import { parseCidr } from '../topology/ip.js';
import type { NodePlan, Plan } from '../topology/types.js';
import { resetRun } from './files.js';
import type { NodePaths } from './names.js';
import { bootNode, daemonStates, waitFor } from './node.js';
import { builtNode, labNode, netnsSh, nodeSh } from './node-shell.js';
import { killAll, labProcesses, nsInode } from './processes.js';

export type NodePower = 'up' | 'down' | 'hung';

const HANG_CHAIN = 'cldemo-hang';

/** The processes of one node: in its namespaces, or descended from one that is. */
function nodeProcesses(p: NodePaths): number[] {
  const ino = (f: string) => new Set([nsInode(f)].filter((i): i is number => i !== undefined));
  return labProcesses({ net: ino(p.netnsFile), mnt: ino(p.mntFile) });
}

/** What the node is now, read from the host's process table and the node's own netfilter. */
export async function labNodePower(plan: Plan, node: string): Promise<NodePower> {
  const p = builtNode(plan, node);
  if (nodeProcesses(p).length === 0) return 'down';
  const hung = await nodeSh(p, `iptables -t raw -S ${HANG_CHAIN} >/dev/null 2>&1 && echo hung || echo running`);
  return hung.trim() === 'hung' ? 'hung' : 'up';
}

/** Power loss: interfaces down first, then every process killed. Resolves to how many processes were stopped. */
export async function powerDown(plan: Plan, node: string): Promise<number> {
  const p = builtNode(plan, node);
  await nodeSh(p, `for i in $(ls /sys/class/net); do [ "$i" = lo ] || ip link set dev "$i" down; done`);
  const pids = nodeProcesses(p);
  const { running, unreaped } = await killAll(() => nodeProcesses(p));
  if (running.length) throw new OperationError(`${node}: processes ${running.join(', ')} did not exit after SIGKILL`);
  void unreaped; // exited; PID 1 reaps them in its own time
  await unhang(p, []);
  return pids.length;
}

/** Hang: drops in every network namespace of the node, then every process stopped. Resolves to how many. */
export async function hang(plan: Plan, node: string): Promise<number> {
  const p = builtNode(plan, node);
  for (const ns of namespacesOf(p)) await netnsSh(ns, HANG_SCRIPT);
  await nodeSh(p, HANG_SCRIPT);
  const stopped = new Set<number>();
  // twice: a process forked while the first round ran is caught by the second
  for (let round = 0; round < 2; round++) for (const pid of nodeProcesses(p)) if (signal(pid, 'SIGSTOP')) stopped.add(pid);
  return stopped.size;
}

/** Back from a hang: drops removed (node and containers), every process continued. */
export async function resume(plan: Plan, node: string): Promise<number> {
  const p = builtNode(plan, node);
  const pids = nodeProcesses(p);
  await unhang(p, namespacesOf(p));
  return pids.filter((pid) => signal(pid, 'SIGCONT')).length;
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

const TABLES = ['iptables -t raw', 'ip6tables -t raw'];

/** Our chain, dropping everything, first in line for what arrives and what the node sends; ARP too. */
const HANG_SCRIPT = [
  'set -e',
  ...TABLES.flatMap((t) => [`${t} -N ${HANG_CHAIN}`, `${t} -A ${HANG_CHAIN} -j DROP`, `${t} -I PREROUTING 1 -j ${HANG_CHAIN}`, `${t} -I OUTPUT 1 -j ${HANG_CHAIN}`]),
  `arptables -N ${HANG_CHAIN}`,
  `arptables -A ${HANG_CHAIN} -j DROP`,
  `arptables -I INPUT 1 -j ${HANG_CHAIN}`,
  `arptables -I OUTPUT 1 -j ${HANG_CHAIN}`,
].join('\n');

/** `tool -D` our chain from `from`, then flush and delete it. */
function unchain(tool: string, from: string[]): string {
  return [...from.map((c) => `${tool} -D ${c} -j ${HANG_CHAIN}`), `${tool} -F ${HANG_CHAIN}`, `${tool} -X ${HANG_CHAIN}`].join('; ');
}

/** Removes our chain wherever it is; a namespace without it is left as it is. */
const UNHANG_SCRIPT = [
  ...TABLES.map((t) => `if ${t} -S ${HANG_CHAIN} >/dev/null 2>&1; then ${unchain(t, ['PREROUTING', 'OUTPUT'])}; fi`),
  `if arptables -L ${HANG_CHAIN} >/dev/null 2>&1; then ${unchain('arptables', ['INPUT', 'OUTPUT'])}; fi`,
  'true',
].join('\n');

async function unhang(p: NodePaths, others: string[]): Promise<void> {
  await nodeSh(p, UNHANG_SCRIPT);
  for (const ns of others) await netnsSh(ns, UNHANG_SCRIPT).catch(() => undefined); // a container gone meanwhile
}

/**
 * The network namespaces of the node's processes other than the node's own (its
 * containers'), each as /proc/PID/ns/net of one process in it; never the host's.
 */
function namespacesOf(p: NodePaths): string[] {
  const skip = new Set([nsInode(p.netnsFile), statSync('/proc/self/ns/net').ino]);
  const seen = new Map<number, string>();
  for (const pid of nodeProcesses(p)) {
    try {
      const ino = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1]);
      if (ino && !skip.has(ino) && !seen.has(ino)) seen.set(ino, `/proc/${pid}/ns/net`);
    } catch {
      // gone meanwhile
    }
  }
  return [...seen.values()];
}

/** A reboot: stale mounts and /run cleared, interfaces up, the node's own start, then its daemons awaited. */
export async function powerUp(plan: Plan, node: string, readyTimeoutMs = 60_000): Promise<void> {
  const n = labNode(plan, node);
  const p = builtNode(plan, node);
  // what dockerd and its containers mounted (netns handles, overlays, shm); the host's own mounts
  // hidden under the node's /run are listed too, and are not ours to touch
  await nodeSh(p, `awk '$2 ~ "^/(run/docker|var/lib/docker)/" { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done`);
  resetRun(p.dir);
  const ports = plan.links.flatMap((l) => [l.a, l.b]).filter((e) => e.node === node).map((e) => e.port);
  await bootNode({ node, role: n.role, mgmtIp: n.mgmt.host, prefix: parseCidr(plan.lab.mgmtSubnet)!.prefix, ports, paths: p });
  await waitUp(n, p, readyTimeoutMs);
}

async function waitUp(n: NodePlan, p: NodePaths, timeoutMs: number): Promise<void> {
  let last: Record<string, boolean> = {};
  const ready = async () => Object.values((last = await daemonStates(n.role, n.mgmt.host, p))).every(Boolean);
  await waitFor(n.name, ready, timeoutMs).catch(() => {
    const down = Object.entries(last).filter(([, ok]) => !ok).map(([d]) => d);
    throw new OperationError(`${n.name}: ${down.join(', ')} not running ${timeoutMs / 1000} s after power-up (logs: ${join(p.dir, 'var-log')})`);
  });
}
