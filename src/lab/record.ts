/**
 * The lab's record of what it created. Every resource is written here BEFORE it is created,
 * so `lab down` can remove exactly what a crashed `lab up` left behind, and nothing else.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OperationError } from '../errors.js';
import type { Role } from '../topology/types.js';
import { bridgeName, cgroupParent, labId, nodePaths, nsDir, recordFile } from './names.js';
import { labStateDir, privateDir } from './state.js';

export interface NodeRecord {
  role: Role;
  mgmtIp: string;
  netns: string;
  netnsFile: string;
  mntFile: string;
  utsFile: string;
  dir: string;
  hostVeth: string;
  cgroupParent: string;
  /** daemon name -> PID, read from the node's pid files once the daemon answered */
  pids: Record<string, number>;
}

export interface LabRecord {
  version: 1;
  name: string;
  stateDir: string;
  /** the private bind mount the mount-namespace files sit on */
  nsDir: string;
  nsDirMounted: boolean;
  bridge?: string;
  mgmtSubnet: string;
  /** what the lab was built from; a different one means rebuild */
  planDigest: string;
  nodes: Record<string, NodeRecord>;
  /** true once every node answered; a record without it is a crashed or failed `lab up` */
  complete: boolean;
  /** the topology file `lab up` was given (absolute); may be gone by the time of `lab down` */
  topologyFile?: string;
  /** when `lab up` started building it (ISO 8601) */
  createdAt?: string;
}

/**
 * The record as `lab down` may act on it, as root: it names what to unmount, delete and
 * `rm -rf`, so nothing in it is trusted. Every path and name must be the one this lab's own
 * names give (under its state directory, /run/netns/cldemo-<lab>-<node>, its bridge and veths);
 * anything else refuses the record, naming the field.
 */
export function readRecord(planName: string): LabRecord | undefined {
  const file = recordFile(planName);
  if (!existsSync(file)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new OperationError(`${file}: not a lab record (${(e as Error).message}); nothing was removed`);
  }
  const problem = recordProblem(data, planName);
  if (problem) throw new OperationError(`${file}: ${problem}; refusing to act on it, nothing was removed (check it, or remove the lab's resources by hand)`);
  return data as LabRecord;
}

function recordProblem(data: unknown, planName: string): string | undefined {
  if (!isObject(data)) return 'not a JSON object';
  const rec = data as Partial<LabRecord>;
  const want = (field: string, got: unknown, expected: string) => (got === expected ? undefined : `${field} is ${show(got)}, not ${expected}`);
  const top =
    want('name', rec.name, planName) ??
    want('stateDir', rec.stateDir, labStateDir(planName)) ??
    want('nsDir', rec.nsDir, nsDir(planName)) ??
    (rec.bridge === undefined ? undefined : want('bridge', rec.bridge, bridgeName(planName)));
  if (top) return top;
  if (!isObject(rec.nodes)) return 'nodes is not a map';
  const veth = new RegExp(`^cl${labId(planName)}-m\\d{1,5}$`);
  for (const [node, n] of Object.entries(rec.nodes)) {
    const where = `nodes.${show(node)}`;
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(node)) return `${where}: not a node name`;
    if (!isObject(n)) return `${where} is not a map`;
    const p = nodePaths(planName, node);
    const bad =
      want(`${where}.netns`, n.netns, p.netns) ??
      want(`${where}.netnsFile`, n.netnsFile, p.netnsFile) ??
      want(`${where}.mntFile`, n.mntFile, p.mntFile) ??
      want(`${where}.utsFile`, n.utsFile, p.utsFile) ??
      want(`${where}.dir`, n.dir, p.dir) ??
      want(`${where}.cgroupParent`, n.cgroupParent, cgroupParent(planName, node)) ??
      (typeof n.hostVeth === 'string' && veth.test(n.hostVeth) ? undefined : `${where}.hostVeth is ${show(n.hostVeth)}, not one of this lab's veths`);
    if (bad) return bad;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 80)}...` : s;
}

/** Written whole and renamed into place: a crash never leaves half a record. Private to root: 0700 dirs, 0600 file. */
export function writeRecord(rec: LabRecord): void {
  const file = recordFile(rec.name);
  privateDir(dirname(file));
  writeFileSync(`${file}.tmp`, `${JSON.stringify(rec, null, 2)}\n`, { mode: 0o600 });
  chmodSync(`${file}.tmp`, 0o600); // a .tmp left by an older run keeps its mode otherwise
  renameSync(`${file}.tmp`, file);
}
