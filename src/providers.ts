/**
 * Where a topology's nodes are and how they are reached, per provider: the lab's own
 * addressing, key and known_hosts (src/lab/connection.ts), or an external node's `mgmt:`
 * with `~` and relative paths read against the home directory and the topology file; whether
 * they can be reached at all (a lab must be built first); and the fabric's connections to
 * them. The one place that reads the environment for the planner, which stays pure, and the
 * one seam that knows lab from external: commands ask here, never lab/ itself.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_PARALLEL, silentProgress, type FabricContext, type OnProgress } from './fabric/context.js';
import type { ImpairmentInForce } from './fabric/observe/formats.js';
import { labNodeConnection } from './lab/connection.js';
import { labImpairments } from './lab/impair.js';
import { assertLabUp } from './lab/inspect.js';
import { ConnectionPool } from './transport/pool.js';
import { loadTopology } from './topology/index.js';
import { plan, type ConnectionFacts } from './topology/plan.js';
import type { RawTopology } from './topology/schema.js';
import type { Plan } from './topology/types.js';

function connectionFacts(t: RawTopology, file: string): ConnectionFacts {
  return {
    file: resolve(file),
    home: homedir(),
    labNode: (_node, index) => labNodeConnection(t.name, t.lab.mgmt_subnet, index),
  };
}

/** Reads, checks and plans a topology; throws one TopologyError listing every problem. */
export function loadPlanSync(file: string, text?: string | Uint8Array): Plan {
  const t = loadTopology(file, text);
  return plan(t, connectionFacts(t, file));
}

export async function loadPlan(file: string): Promise<Plan> {
  return loadPlanSync(file);
}

/**
 * Fabric commands call this first: on a lab topology whose lab is not built, every node would
 * fail the same way (no known_hosts, no address), so it is said once here instead. External
 * nodes are asked for real when they are reached.
 */
export function assertNodesReady(plan: Plan): void {
  if (plan.provider === 'lab') assertLabUp(plan);
}

/** A fabric context whose connections come from one pool; call `close` when the command ends. */
export function sshContext(plan: Plan, opts: { parallel?: number; progress?: OnProgress; signal?: AbortSignal } = {}): FabricContext & { close(): Promise<void> } {
  const pool = new ConnectionPool();
  return {
    plan,
    connect: (node) => pool.get(node.name, node.mgmt),
    parallel: opts.parallel ?? DEFAULT_PARALLEL,
    progress: opts.progress ?? silentProgress,
    signal: opts.signal,
    connectionLost: (node) => pool.isLost(node),
    close: () => pool.closeAll(),
    ...(plan.provider === 'lab' && process.getuid?.() === 0 ? { impairments: () => labImpairmentsInForce(plan) } : {}),
  };
}

/** The lab's impairments, read from its nodes (as root: inside their namespaces). */
async function labImpairmentsInForce(plan: Plan): Promise<ImpairmentInForce[]> {
  return (await labImpairments(plan)).map(({ link, impair, ends, partial }) => ({ link, impair, ends, partial }));
}
