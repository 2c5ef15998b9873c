/**
 * `cldemo up`: every switch and server brought to what the topology says, in parallel with
 * a bound (runNodes). Only what differs is touched; a second run changes nothing and says so.
 */
import { renderAll, type Rendered } from '../../render/index.js';
import type { NodePlan, Plan } from '../../topology/types.js';
import { agentOf } from '../../platforms/index.js';
import { loadAgentBundle, type AgentBundle } from './agent.js';
import type { FabricContext } from '../context.js';
import { runNodes, type RunReport } from './run-nodes.js';
import { upServer } from './servers.js';
import { upSwitch } from './switches.js';

export type UpReport = RunReport;

export interface UpOptions {
  dryRun?: boolean;
  /** containers created at once on one server */
  containerParallel?: number;
  /** defaults to the built agent in dist/rdnbrd, loaded only when a leaf needs it */
  agent?: AgentBundle;
  /** defaults to renderAll(plan); tests hand in a deliberately broken file */
  rendered?: Rendered;
}

export async function up(ctx: FabricContext, opts: UpOptions = {}): Promise<UpReport> {
  const { plan } = ctx;
  const dryRun = opts.dryRun ?? false;
  const rendered = opts.rendered ?? renderAll(plan);
  const agent = opts.agent ?? (needsShippedAgent(plan) ? loadAgentBundle() : undefined);
  // Leaves, then servers, then spines. A server checks from its leaf that its containers'
  // addresses are free, which needs the leaf's server port configured: it waits for its leaf's
  // share to end, and since that share started before it (earlier in the list) this cannot
  // deadlock, whatever --parallel. Servers before spines: containers take longest.
  const work: NodePlan[] = [...plan.switches.filter((s) => s.role === 'leaf'), ...plan.servers, ...plan.switches.filter((s) => s.role !== 'leaf')];
  return runNodes(
    ctx,
    (node, ended) => {
      const files = rendered.get(node.name)!;
      return node.role === 'server'
        ? upServer(ctx, node, { dryRun, files, containerParallel: opts.containerParallel, leafReady: ended })
        : upSwitch(ctx, node, { dryRun, files, agent });
    },
    { dryRun, work, reportOrder: [...plan.switches, ...plan.servers] },
  );
}

function needsShippedAgent(plan: Plan): boolean {
  return plan.switches.some((s) => agentOf(s)?.shipped === true);
}
