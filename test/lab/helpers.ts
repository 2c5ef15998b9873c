/** The lab tests' view of the host: what the lab created, reached the way a user would. */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { bridgeName, labId } from '../../src/lab/names.js';
import { labStateDir } from '../../src/lab/state.js';
import type { Plan } from '../../src/topology/types.js';
import { readProcStat } from '../../src/proc-stat.js';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI (CLDEMO_BIN may point at another build of it). */
export function cldemo(args: string[], timeoutMs = 180_000): Result {
  const r = spawnSync(process.execPath, [process.env.CLDEMO_BIN ?? 'bin/cldemo.js', ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The built CLI, without blocking this process's event loop while it runs. */
export function cldemoAsync(args: string[], timeoutMs = 180_000): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [process.env.CLDEMO_BIN ?? 'bin/cldemo.js', ...args], { timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** ssh as any client would: the lab's key, its known_hosts, and host keys checked strictly. */
export function ssh(plan: Plan, node: string, command: string, input?: string): Result {
  const n = [...plan.switches, ...plan.servers].find((x) => x.name === node)!;
  const r = spawnSync(
    'ssh',
    [
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${n.mgmt.knownHosts}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'ConnectTimeout=10',
      '-i', n.mgmt.identityFile!,
      '-p', String(n.mgmt.port),
      `${n.mgmt.user}@${n.mgmt.host}`,
      command,
    ],
    { encoding: 'utf8', input, timeout: 60_000 },
  );
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Everything on the host that carries this lab's names: namespaces, interfaces, mounts, processes, cgroups. */
export interface LabFootprint {
  netns: string[];
  links: string[];
  mounts: string[];
  processes: string[];
  cgroups: string[];
}

export function labFootprint(plan: Plan): LabFootprint {
  const state = labStateDir(plan.name);
  const netnsPrefix = `cldemo-${plan.name}-`;
  const linkPrefix = `cl${labId(plan.name)}-`;
  const netns = safeList('/run/netns').filter((n) => n.startsWith(netnsPrefix));
  const links = readdirSync('/sys/class/net').filter((l) => l.startsWith(linkPrefix) || l === bridgeName(plan.name));
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(state) || m.startsWith(`/run/netns/${netnsPrefix}`));
  const processes = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map((p) => ({ p, cmd: safeRead(`/proc/${p}/cmdline`).replace(/\0/g, ' ').trim() }))
    .filter(({ cmd }) => cmd.includes(state))
    .map(({ p, cmd }) => `${p} ${cmd}`);
  const cgroups = safeList('/sys/fs/cgroup').flatMap((h) =>
    safeList(`/sys/fs/cgroup/${h}`).filter((c) => c.startsWith(`cldemo-${labId(plan.name)}-`)).map((c) => `${h}/${c}`),
  );
  return { netns, links, mounts, processes, cgroups };
}

/** A process, told apart from a later one that gets its PID: the start time (ticks since boot). */
export interface Proc {
  pid: number;
  start: string;
}

function startOf(pid: number | string): string | undefined {
  return readProcStat(pid)?.start;
}

/** Every process inside the lab's network namespaces (and so, inside a node). */
export function processesInLab(plan: Plan): Proc[] {
  const inodes = new Set(
    safeList('/run/netns')
      .filter((n) => n.startsWith(`cldemo-${plan.name}-`))
      .map((n) => statSync(`/run/netns/${n}`).ino),
  );
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return inodes.has(Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${p}/ns/net`))![1]));
      } catch {
        return false;
      }
    })
    .flatMap((p) => {
      const start = startOf(p);
      return start === undefined ? [] : [{ pid: Number(p), start }];
    });
}

/** The process with this PID now, if any. */
export function procOf(pid: number): Proc | undefined {
  const start = startOf(pid);
  return start === undefined ? undefined : { pid, start };
}

/** Still in the process table: running, or exited but not yet reaped by its parent (what `ps` lists as defunct). */
export function present(p: Proc): boolean {
  return startOf(p.pid) === p.start;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
