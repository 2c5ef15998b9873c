/** What the fabric commands (up, ping-sweep, verify-routes, down) share: parallelism, progress, the connection pool. */
import type { Command } from 'commander';
import { progress, showFabricEvents } from '../output.js';
import { DEFAULT_PARALLEL, type FabricContext } from '../fabric/context.js';
import { assertNodesReady, sshContext } from '../providers.js';
import { catchInterrupts } from '../interrupt.js';
import { withLock } from '../lock.js';
import { lockFabric, newHolder, type HeldFabric } from '../fabric/change/fabric-lock.js';
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

/**
 * Loads the plan, runs `work` with one SSH connection per node, and closes them all. A run
 * that changes the fabric (`lock`) holds the topology's lock on this machine and the fabric's
 * lock on every node (fabric/fabric-lock.ts); with `interrupts`, Ctrl-C and
 * SIGTERM stop it between nodes (the report then says which were not started). Its progress
 * events are drawn on stderr until it returns; `unchanged` is what a node that needed nothing says.
 */
export async function withFabric<T>(
  opts: FabricOpts,
  work: (ctx: FabricContext) => Promise<T>,
  mode: { lock?: boolean; interrupts?: boolean; unchanged?: string } = {},
): Promise<T> {
  const parallel = wholeNumber('parallel', opts.parallel, 1);
  const plan = await loadPlanFrom(opts);
  const run = async () => {
    assertNodesReady(plan); // under the lock: a run that holds it may be the one building the fabric
    const interrupts = mode.interrupts ? catchInterrupts() : undefined;
    const shown = progress({ quiet: opts.json });
    const ctx = sshContext(plan, { parallel, progress: showFabricEvents(shown, { unchanged: mode.unchanged, verbose: opts.verbose }), signal: interrupts?.signal });
    let fabric: HeldFabric | undefined;
    try {
      // this machine's lock first (cheap, and it keeps this user's second run off the nodes), then the nodes'
      if (mode.lock) fabric = await lockFabric(ctx, [...plan.switches, ...plan.servers], newHolder(plan.name));
      return await work(ctx);
    } finally {
      await fabric?.release();
      shown.stop();
      await ctx.close();
      interrupts?.dispose();
    }
  };
  return mode.lock ? withLock(plan.name, 'fabric', run) : run();
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
