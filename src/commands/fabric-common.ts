/** What the fabric commands (up, ping-sweep, verify-routes, down) share: parallelism, progress, the connection pool. */
import type { Command } from 'commander';
import { progress } from '../output.js';
import { DEFAULT_PARALLEL, sshContext, type FabricContext } from '../fabric/context.js';
import { assertLabUp } from '../lab/index.js';
import { loadPlanFrom, topologyOption, wholeNumber } from './common.js';

export interface FabricOpts {
  topology: string;
  json?: boolean;
  parallel: string;
  verbose?: boolean;
}

export function fabricOptions(cmd: Command): Command {
  return topologyOption(cmd)
    .option('--json', 'print one JSON document on stdout')
    .option('--parallel <n>', 'nodes worked on at once', String(DEFAULT_PARALLEL))
    .option('-v, --verbose', 'every change, check or container in full (the default is one short line per node)');
}

/** Loads the plan, runs `work` with one SSH connection per node, and closes them all. */
export async function withFabric<T>(opts: FabricOpts, work: (ctx: FabricContext) => Promise<T>): Promise<T> {
  const parallel = wholeNumber('parallel', opts.parallel, 1);
  const plan = await loadPlanFrom(opts);
  assertLabUp(plan);
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
