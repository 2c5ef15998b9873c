/**
 * What labs this host has (`lab list`), how a lab's nodes and daemons are (`lab status`),
 * and whether a lab is built at all (what fabric commands ask first, through providers.ts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { OperationError } from '../errors.js';
import { TOPONAME } from '../topology/rules.js';
import type { Plan, Role } from '../topology/types.js';
import { LAB_SSH_USER } from './connection.js';
import { LAB_SUDO_USER } from './files.js';
import { recordFile, labKeyFile, labKnownHostsFile } from './names.js';
import { daemonStates } from './node.js';
import { nsInode } from './processes.js';
import { readRecord, type LabRecord } from './record.js';
import { labStateRoot } from './state.js';
import { assertLab, labNodes, type LabNode } from './lab-nodes.js';

interface LabNodeStatus {
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
