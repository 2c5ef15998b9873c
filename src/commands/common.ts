/** Options every command shares, and the one way commands load a topology. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { loadPlan } from '../providers.js';
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

/** A flag that takes a whole number in [min, max]; anything else is a usage error (exit 2). */
export function wholeNumber(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} ${value}: ${max === Number.MAX_SAFE_INTEGER ? `give a whole number of at least ${min}` : `expected a whole number from ${min} to ${max}`}`);
  }
  return n;
}
