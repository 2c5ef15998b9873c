/**
 * What each lab node's processes use: every process in the node's network namespace and
 * their descendants (a server's containers run in namespaces of their own, under its
 * dockerd's shims).
 *
 * Memory, sampled while a bench runs: their resident memory summed per node; the peak of
 * each node's sum is kept and reported per node kind (spine, leaf, server). RSS counts a
 * page shared by two processes twice (the same binaries run on every node): an upper bound.
 *
 * CPU, between two snapshots: each process's own time and its reaped children's (utime,
 * stime, cutime, cstime), so a command a node ran and finished (ifreload, frr-reload.py,
 * runc) counts through the process that waited for it (sshd, containerd's shim). A
 * process that started and ended between the snapshots under a parent outside the lab is
 * not seen; the kernel's own work (softirqs moving the packets) is no process's.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

export interface NodeRef {
  name: string;
  kind: string;
  /** the node's network namespace handle, e.g. /run/netns/NAME */
  netnsFile: string;
}

export interface KindMemory {
  kind: string;
  nodes: number;
  /** peak per node, MiB: the mean over the nodes of that kind, and the largest */
  meanPeakMiB: number;
  maxPeakMiB: number;
  /** the kind's processes together at their peak sample, MiB */
  totalPeakMiB: number;
}

const PAGE_KIB = 4;

function netIno(pid: string): number | undefined {
  try {
    const m = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** pid -> [ppid, rss KiB, CPU ticks (own and reaped children's), start time] for every live process */
function processes(): Map<string, [string, number, number, string]> {
  const out = new Map<string, [string, number, number, string]>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields after the name, field N of stat at index N - 3: ppid 4, utime..cstime 14-17, starttime 22, rss 24
      out.set(pid, [f[1], Number(f[21]) * PAGE_KIB, Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]), f[19]]);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The lab's processes now: pid -> [owning node, rss KiB, CPU ticks, start time]. */
function labProcesses(nodes: NodeRef[]): Map<string, [string, number, number, string]> {
  const byIno = new Map<number, string>();
  for (const n of nodes) {
    try {
      byIno.set(statSync(n.netnsFile).ino, n.name);
    } catch {
      // not there (yet, or any more)
    }
  }
  const procs = processes();
  const owner = new Map<string, string>();
  for (const pid of procs.keys()) {
    const node = byIno.get(netIno(pid) ?? -1);
    if (node) owner.set(pid, node);
  }
  // descendants: walk up each unowned process to the first owned ancestor
  const ownerOf = (pid: string, depth = 0): string | undefined => {
    const known = owner.get(pid);
    if (known !== undefined || depth > 64) return known;
    const ppid = procs.get(pid)?.[0];
    if (!ppid || ppid === '0' || ppid === '1') return undefined;
    const o = ownerOf(ppid, depth + 1);
    if (o) owner.set(pid, o);
    return o;
  };
  const out = new Map<string, [string, number, number, string]>();
  for (const [pid, [, rss, ticks, start]] of procs) {
    const o = ownerOf(pid);
    if (o) out.set(pid, [o, rss, ticks, start]);
  }
  return out;
}

/** One sample: node name -> KiB. */
function sampleNodes(nodes: NodeRef[]): Map<string, number> {
  const kib = new Map<string, number>(nodes.map((n) => [n.name, 0]));
  for (const [node, rss] of labProcesses(nodes).values()) kib.set(node, (kib.get(node) ?? 0) + rss);
  return kib;
}

let hz: number | undefined;

/** Starts counting the lab's CPU; `stop()` gives CPU seconds per node kind since, and in all. */
export function labCpuMeter(nodes: NodeRef[]): { stop(): { byKind: Record<string, number>; totalS: number } } {
  hz ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const before = labProcesses(nodes);
  const kindOf = new Map(nodes.map((n) => [n.name, n.kind]));
  return {
    stop() {
      const byKind: Record<string, number> = {};
      for (const [pid, [node, , ticks, start]] of labProcesses(nodes)) {
        const was = before.get(pid);
        const delta = was && was[3] === start ? ticks - was[2] : ticks; // a new process: all of it
        const kind = kindOf.get(node) ?? 'other';
        byKind[kind] = (byKind[kind] ?? 0) + delta / hz!;
      }
      return { byKind, totalS: Object.values(byKind).reduce((a, b) => a + b, 0) };
    },
  };
}

/** Samples every `everyMs` until stop(); stop() gives the peaks per kind. */
export function sampleNodeMemory(nodes: NodeRef[], everyMs = 5000): { sampleNow(): void; stop(): KindMemory[] } {
  const peak = new Map<string, number>();
  const kinds = [...new Set(nodes.map((n) => n.kind))];
  const kindPeak = new Map<string, number>();
  const sample = (): void => {
    const s = sampleNodes(nodes);
    for (const [name, k] of s) peak.set(name, Math.max(peak.get(name) ?? 0, k));
    for (const kind of kinds) {
      const total = nodes.filter((n) => n.kind === kind).reduce((a, n) => a + (s.get(n.name) ?? 0), 0);
      kindPeak.set(kind, Math.max(kindPeak.get(kind) ?? 0, total));
    }
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  const mib = (k: number): number => Math.round((k / 1024) * 10) / 10;
  return {
    sampleNow: sample,
    stop() {
      clearInterval(timer);
      return kinds.map((kind) => {
        const peaks = nodes.filter((n) => n.kind === kind).map((n) => peak.get(n.name) ?? 0);
        return { kind, nodes: peaks.length, meanPeakMiB: mib(peaks.reduce((a, b) => a + b, 0) / Math.max(1, peaks.length)), maxPeakMiB: mib(Math.max(0, ...peaks)), totalPeakMiB: mib(kindPeak.get(kind) ?? 0) };
      });
    },
  };
}
