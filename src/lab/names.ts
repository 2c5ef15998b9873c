/**
 * Names of everything a lab creates on the host. Two labs (two topology names) must be able
 * to coexist, and interface names are limited to 15 characters, so host-side interfaces carry
 * a short id derived from the topology name instead of the name itself.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { labStateDir } from './state.js';

const NETNS_DIR = '/run/netns';

/** 6 hex digits of the topology name's hash: short enough for "cl" + id + "-m" + 3 digits. */
export function labId(planName: string): string {
  return createHash('sha256').update(planName).digest('hex').slice(0, 6);
}

/** Network namespace of a node, as `ip netns list` shows it. */
export function netnsName(planName: string, node: string): string {
  return `cldemo-${planName}-${node}`;
}

export function bridgeName(planName: string): string {
  return `cl${labId(planName)}-br`;
}

/** Host end of a node's management veth (the node end is eth0). */
export function mgmtVethName(planName: string, index: number): string {
  return `cl${labId(planName)}-m${index}`;
}

/** Where a node's namespaces and files live. */
export interface NodePaths {
  netns: string; // name under /run/netns
  netnsFile: string;
  mntFile: string;
  utsFile: string;
  dir: string; // the node's private files (etc-network, etc-frr, root, run, ...)
}

export function nsDir(planName: string): string {
  return join(labStateDir(planName), 'ns');
}

export function nodePaths(planName: string, node: string): NodePaths {
  const netns = netnsName(planName, node);
  return {
    netns,
    netnsFile: join(NETNS_DIR, netns),
    mntFile: join(nsDir(planName), `${node}.mnt`),
    utsFile: join(nsDir(planName), `${node}.uts`),
    dir: join(labStateDir(planName), 'nodes', node),
  };
}

export function sshDir(planName: string): string {
  return join(labStateDir(planName), 'ssh');
}

/** The lab's client key (lab up writes it; the plan's mgmt reads it). */
export function labKeyFile(planName: string): string {
  return join(sshDir(planName), 'id_ed25519');
}

/** The known_hosts that vouches for every node's host key. */
export function labKnownHostsFile(planName: string): string {
  return join(sshDir(planName), 'known_hosts');
}

export function recordFile(planName: string): string {
  return join(labStateDir(planName), 'lab.json');
}

/** The nsenter arguments that put a command inside a node (not `ip netns exec`: it remounts /sys and hides cgroups from dockerd). */
export function nsenterArgs(p: NodePaths): string[] {
  return [`--net=${p.netnsFile}`, `--mount=${p.mntFile}`, `--uts=${p.utsFile}`];
}

/** cgroup parent of the containers a server node's dockerd starts. */
export function cgroupParent(planName: string, node: string): string {
  return `cldemo-${labId(planName)}-${node}`;
}
