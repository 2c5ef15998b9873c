/**
 * `cldemo down`: this topology's containers and networks leave every server, the agent stops
 * on every leaf (withdrawing its routes), and with purgeConfig the switches get their
 * pre-cldemo files back. Running it twice is harmless.
 */
import { configFilesFor } from '../../platforms/index.js';
import type { NodePlan } from '../../topology/types.js';
import type { FabricContext } from '../context.js';
import { runNodes, type RunReport } from './run-nodes.js';
import { downServer } from './servers.js';
import { downSwitch } from './switches.js';

export type DownReport = Omit<RunReport, 'dry_run'>;

export async function down(ctx: FabricContext, opts: { purgeConfig?: boolean } = {}): Promise<DownReport> {
  const { plan } = ctx;
  const job = (node: NodePlan) =>
    node.role === 'server' ? downServer(ctx, node) : downSwitch(ctx, node, { purgeConfig: opts.purgeConfig ?? false, files: configFilesFor(node) });
  const nodes = [...plan.servers, ...plan.switches];
  const { dry_run: _ignored, ...report } = await runNodes(ctx, job, { dryRun: false, work: nodes, reportOrder: nodes });
  return report;
}
