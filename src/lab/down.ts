/**
 * `lab down`: removes a lab from its record alone (the topology file may be long gone):
 * its processes (gone from the process table, not merely killed), links, mounts and files.
 */
import { rmSync } from 'node:fs';
import { OperationError, UsageError } from '../errors.js';
import { TOPONAME } from '../topology/rules.js';
import type { Plan } from '../topology/types.js';
import { mounts } from './host.js';
import { deleteLinks } from './network.js';
import { killAll, labProcesses, nsInode, removeCgroups } from './processes.js';
import { readRecord, type LabRecord } from './record.js';
import { run } from './run.js';
import { assertLab, requireLabRoot } from './lab-nodes.js';

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
