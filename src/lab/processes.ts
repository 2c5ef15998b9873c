/**
 * Finding and stopping the lab's processes. A process belongs to the lab when it runs in
 * one of the lab's recorded namespaces, or descends from one that does (containers started
 * by a node's dockerd): that holds even after a crash lost the PIDs, and a recycled PID
 * that now belongs to someone else never matches.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../concurrency.js';
import { mounts } from './host.js';
import { readProcStat } from '../proc-stat.js';

/** The inode of a namespace handle (a bind-mounted nsfs file), or undefined for anything else. */
export function nsInode(file: string): number | undefined {
  try {
    const st = statSync(file);
    // an empty file left by a crash lives on the host's filesystem, not on nsfs
    return st.dev === statSync('/proc/self/ns/net').dev ? st.ino : undefined;
  } catch {
    return undefined;
  }
}

function procNs(pid: number, kind: 'net' | 'mnt'): number | undefined {
  try {
    const m = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  /** start time in clock ticks since boot: a PID the kernel gave to another process since has another */
  start: string;
}

function procInfo(pid: number): ProcInfo | undefined {
  const stat = readProcStat(pid);
  return stat && { pid, state: stat.state, ppid: stat.ppid, start: stat.start };
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

export interface LabNamespaces {
  net: Set<number>;
  mnt: Set<number>;
}

/** PIDs of every live process in the namespaces, and of their descendants. */
export function labProcesses(ns: LabNamespaces): number[] {
  const infos = allPids()
    .map(procInfo)
    .filter((p): p is ProcInfo => p !== undefined && p.state !== 'Z');
  const inside = new Set(
    infos
      .filter((p) => ns.net.has(procNs(p.pid, 'net') ?? -1) || ns.mnt.has(procNs(p.pid, 'mnt') ?? -1))
      .map((p) => p.pid),
  );
  const children = new Map<number, number[]>();
  for (const p of infos) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const found = new Set<number>();
  const visit = (pid: number) => {
    if (found.has(pid)) return;
    found.add(pid);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  for (const pid of inside) visit(pid);
  return [...found];
}

/** Is this PID alive and inside the given network namespace? */
export function aliveIn(pid: number | undefined, netIno: number | undefined): boolean {
  if (!pid || netIno === undefined) return false;
  const info = procInfo(pid);
  return info !== undefined && info.state !== 'Z' && procNs(pid, 'net') === netIno;
}

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface StopResult {
  /** still running after the deadline (not even a SIGKILL ended them: stuck in the kernel) */
  running: number[];
  /** exited, but their parent (PID 1 for daemons) had not reaped them by the deadline */
  unreaped: number[];
}

/**
 * SIGKILL every process `find()` returns, again for any that appears meanwhile (a fork in
 * flight when the first scan ran), and wait until every one of them is gone from the process
 * table: exited and reaped. Nothing a node runs needs a graceful stop (its state directory is
 * deleted right after), so SIGKILL is the only signal. A killed daemon is a zombie until its
 * parent, PID 1, reaps it: a moment with systemd, a second or so with a lazier init; until
 * then `ps` still lists it, so "down" waits for that too, up to `timeoutMs`.
 */
export async function killAll(find: () => number[], timeoutMs = 10_000): Promise<StopResult> {
  const deadline = Date.now() + timeoutMs;
  const killed = new Map<number, string>(); // pid -> its start time
  const kill = (pids: number[]): void => {
    for (const pid of pids) {
      const info = procInfo(pid);
      if (!info) continue;
      if (!killed.has(pid)) killed.set(pid, info.start);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const present = (): ProcInfo[] =>
    [...killed].flatMap(([pid, start]) => {
      const info = procInfo(pid);
      return info && info.start === start ? [info] : [];
    });
  for (let round = 0; ; round++) {
    if (round % 10 === 0) kill(find()); // a full scan of /proc every 200 ms: cheap enough to catch a fork in flight
    const left = present();
    if (left.length === 0) return { running: [], unreaped: [] };
    if (Date.now() >= deadline) {
      return { running: left.filter((p) => p.state !== 'Z').map((p) => p.pid), unreaped: left.filter((p) => p.state === 'Z').map((p) => p.pid) };
    }
    await sleep(20);
  }
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup hierarchies on this host: cgroup v2 alone, or v1 controllers (hybrid). */
function cgroupMounts(): string[] {
  return mounts()
    .filter((m) => (m.fstype === 'cgroup' || m.fstype === 'cgroup2') && m.target.startsWith(CGROUP_ROOT))
    .map((m) => m.target);
}

/** Removes the cgroups the nodes' dockerds created under their own parents, in every hierarchy. */
export function removeCgroups(parents: string[]): void {
  const hierarchies = cgroupMounts(); // one read of the mount table, not one per node
  for (const parent of parents) for (const mount of hierarchies) removeTree(join(mount, parent));
}

function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch {
    // a cgroup that still holds a process stays; lab down reports processes separately
  }
}
