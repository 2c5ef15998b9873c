/** Options every command shares, and the one way commands load a topology. */
import type { Command } from 'commander';
import { loadPlan } from '../topology/index.js';
import type { Plan } from '../topology/types.js';

export interface TopologyOpts {
  topology: string;
  json?: boolean;
}

export function topologyOption(cmd: Command): Command {
  return cmd.option('-t, --topology <file>', 'topology file', './topology.yaml');
}

export function loadPlanFrom(opts: { topology?: string }): Promise<Plan> {
  return loadPlan(opts.topology ?? './topology.yaml');
}
