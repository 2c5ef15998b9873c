/**
 * `cldemo down`: this topology's containers and networks leave every server, the agent stops
 * on every leaf (withdrawing its routes), and with purgeConfig the switches get their
 * pre-cldemo files back. Running it twice is harmless.
 */
import { configFilesFor } from '../platforms/index.js';
import type { NodePlan } from '../topology/types.js';
import { forEachNode, retryOnLostConnection, type FabricContext } from './context.js';
import { downServer } from './servers.js';
import { downSwitch } from './switches.js';
import { summarize, type UpReport } from './up.js';

export type DownReport = Omit<UpReport, 'dry_run'>;

export async function down(ctx: FabricContext, opts: { purgeConfig?: boolean } = {}): Promise<DownReport> {
  const started = Date.now();
  const { plan } = ctx;
  const nodes: NodePlan[] = [...plan.servers, ...plan.switches];
  const outcomes = await forEachNode(
    nodes,
    ctx.parallel,
    async (node) => {
      const changes = await retryOnLostConnection(ctx, node.name, () =>
        node.role === 'server'
          ? downServer(ctx, node)
          : downSwitch(ctx, node, { purgeConfig: opts.purgeConfig ?? false, files: configFilesFor(node) }),
      );
      ctx.progress({ kind: 'node-done', node: node.name, changes, dryRun: false });
      return changes;
    },
    ctx.signal,
  );
  const { dry_run: _ignored, ...report } = summarize(nodes, outcomes, { dry_run: false, started, signal: ctx.signal });
  return report;
}
