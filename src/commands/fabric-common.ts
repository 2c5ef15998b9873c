/** What the fabric commands (up, ping-sweep, verify-routes, down) share: parallelism, progress, the connection pool. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { progress } from '../output.js';
import { DEFAULT_PARALLEL, sshContext, type FabricContext } from '../fabric/context.js';
import { loadPlanFrom } from './common.js';

export interface FabricOpts {
  topology: string;
  json?: boolean;
  parallel: string;
}

export function fabricOptions(cmd: Command): Command {
  return cmd
    .option('-t, --topology <file>', 'topology file', './topology.yaml')
    .option('--json', 'print one JSON document on stdout')
    .option('--parallel <n>', 'nodes worked on at once', String(DEFAULT_PARALLEL));
}

/** Loads the plan, runs `work` with one SSH connection per node, and closes them all. */
export async function withFabric<T>(opts: FabricOpts, work: (ctx: FabricContext) => Promise<T>): Promise<T> {
  const parallel = Number(opts.parallel);
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`--parallel ${opts.parallel}: give a whole number of at least 1`);
  const plan = await loadPlanFrom(opts);
  const ctx = sshContext(plan, { parallel, progress: progress({ quiet: opts.json }) });
  try {
    return await work(ctx);
  } finally {
    await ctx.close();
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
