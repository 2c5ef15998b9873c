/**
 * The lab's record of what it created. Every resource is written here BEFORE it is created,
 * so `lab down` can remove exactly what a crashed `lab up` left behind, and nothing else.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Role } from '../topology/types.js';
import { recordFile } from './names.js';

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
}

export function readRecord(planName: string): LabRecord | undefined {
  const file = recordFile(planName);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LabRecord;
}

/** Written whole and renamed into place: a crash never leaves half a record. */
export function writeRecord(rec: LabRecord): void {
  const file = recordFile(rec.name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(rec, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
