/**
 * The lab's nodes as the topology gives them (name, role, address, private paths, ports),
 * and the checks every lab command makes first: a lab topology, run as root.
 */
import { UsageError } from '../errors.js';
import type { Plan, Role } from '../topology/types.js';
import { requireRoot } from './host.js';
import { nodePaths, type NodePaths } from './names.js';

export interface LabNode {
  name: string;
  role: Role;
  mgmtIp: string;
  index: number;
  paths: NodePaths;
  ports: string[];
}

export function labNodes(plan: Plan): LabNode[] {
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

export function assertLab(plan: Plan, what: string): void {
  if (plan.provider !== 'lab') {
    throw new UsageError(`${plan.file}: provider is ${plan.provider}; \`cldemo lab ${what}\` needs provider: lab`);
  }
}

export function requireLabRoot(what: string): void {
  requireRoot(`cldemo lab ${what} creates namespaces, mounts and interfaces: run it as root (sudo cldemo lab ${what} ...)`);
}
