/**
 * Where a topology's nodes are and how they are reached, per provider: the lab's own
 * addressing, key and known_hosts (src/lab/connection.ts), or an external node's `mgmt:`
 * with `~` and relative paths read against the home directory and the topology file.
 * The one place that reads the environment for the planner, which stays pure.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { labNodeConnection } from './lab/connection.js';
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
