/**
 * A shell line run inside a lab node from the host (nsenter into its namespaces): how the
 * fault and impairment commands reach a node, whether or not its sshd answers (a node
 * powered down or hung has none that does).
 */
import { existsSync } from 'node:fs';
import { OperationError, quote, UsageError } from '../errors.js';
import type { NodePlan, Plan } from '../topology/types.js';
import { nodePaths, nsenterArgs, type NodePaths } from './names.js';
import { nsInode } from './processes.js';
import { run } from './run.js';

/** The node of that name, or a usage error listing the nodes there are. */
export function labNode(plan: Plan, name: string): NodePlan {
  const node = [...plan.switches, ...plan.servers].find((n) => n.name === name);
  if (!node) throw new UsageError(`no node ${quote(name)} in ${plan.file} (nodes: ${[...plan.switches, ...plan.servers].map((n) => n.name).join(', ')})`);
  return node;
}

/** The node's paths, once its namespaces are known to exist. */
export function builtNode(plan: Plan, node: string): NodePaths {
  if (plan.provider !== 'lab') throw new UsageError(`${plan.file}: provider is ${plan.provider}; this needs provider: lab`);
  const p = nodePaths(plan.name, node);
  if (!existsSync(p.netnsFile) || nsInode(p.netnsFile) === undefined) throw new OperationError(`lab ${plan.name} is not up (${node} has no namespaces): run cldemo lab up`);
  return p;
}

/** Runs `script` with /bin/sh inside the node; its stdout, or a CommandFailed with its stderr. */
export async function nodeSh(p: NodePaths, script: string, input?: string): Promise<string> {
  return (await run('nsenter', [...nsenterArgs(p), '--', '/bin/sh', '-c', script], input === undefined ? {} : { input })).stdout;
}

/** Runs `script` in a network namespace alone (a container's, by a process in it), with the host's files. */
export async function netnsSh(netnsFile: string, script: string): Promise<string> {
  return (await run('nsenter', [`--net=${netnsFile}`, '--', '/bin/sh', '-c', script])).stdout;
}
