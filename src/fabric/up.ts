/**
 * `cldemo up`: every switch and server brought to what the topology says, in parallel with
 * a bound. Only what differs is touched; a second run changes nothing and says so.
 */
import { interruptedBy } from '../interrupt.js';
import { renderAll, type Rendered } from '../render/index.js';
import type { NodePlan, Plan } from '../topology/types.js';
import { loadAgentBundle, type AgentBundle } from './agent.js';
import type { Change } from './changes.js';
import { forEachNode, retryOnLostConnection, type FabricContext, type NodeOutcome } from './context.js';
import { upServer } from './servers.js';
import { upSwitch } from './switches.js';
import { platformOf } from '../platforms/index.js';

export interface NodeReport {
  name: string;
  role: NodePlan['role'];
  ok: boolean;
  /** what was done (or, with dry_run, would be done); empty: the node already matched */
  records: Change[];
  error?: string;
  /** not started: the run was interrupted first */
  skipped?: boolean;
}

export interface UpReport {
  ok: boolean;
  dry_run: boolean;
  changed: boolean;
  nodes: NodeReport[];
  elapsed_ms: number;
  /** the signal that stopped the run before every node was done */
  interrupted?: 'SIGINT' | 'SIGTERM';
}

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
  const started = Date.now();
  const { plan } = ctx;
  const dryRun = opts.dryRun ?? false;
  const rendered = opts.rendered ?? renderAll(plan);
  const agent = opts.agent ?? (needsShippedAgent(plan) ? loadAgentBundle() : undefined);
  // Leaves, then servers, then spines. A server checks from its leaf that its containers'
  // addresses are free, which needs the leaf's server port configured: it waits for its leaf's
  // share to end, and since that share started before it (earlier in the list) this cannot
  // deadlock, whatever --parallel. Servers before spines: containers take longest.
  const work: NodePlan[] = [...plan.switches.filter((s) => s.role === 'leaf'), ...plan.servers, ...plan.switches.filter((s) => s.role !== 'leaf')];
  const nodes: NodePlan[] = [...plan.switches, ...plan.servers];
  const switchDone = new Map(plan.switches.map((s) => [s.name, settled()]));
  const leafReady = (leaf: string): Promise<void> => switchDone.get(leaf)?.promise ?? Promise.resolve();
  const done = await forEachNode(
    work,
    ctx.parallel,
    async (node) => {
      const files = rendered.get(node.name)!;
      try {
        const changes = await retryOnLostConnection(ctx, node.name, () =>
          node.role === 'server' ? upServer(ctx, node, { dryRun, files, containerParallel: opts.containerParallel, leafReady }) : upSwitch(ctx, node, { dryRun, files, agent }),
        );
        ctx.progress({ kind: 'node-done', node: node.name, changes, dryRun });
        return changes;
      } finally {
        switchDone.get(node.name)?.resolve();
      }
    },
    ctx.signal,
  );
  const outcomes = nodes.map((n) => done[work.indexOf(n)]);
  return summarize(nodes, outcomes, { dry_run: dryRun, started, signal: ctx.signal });
}

/** Where a node of a report stands: what the printers and the exit code go by. */
export type NodeState = 'done' | 'failed' | 'not started';

export function nodeState(n: NodeReport): NodeState {
  return n.skipped ? 'not started' : n.ok ? 'done' : 'failed';
}

/** The report of an up or down run: one entry per node, in `nodes` order. */
export function summarize(nodes: NodePlan[], outcomes: NodeOutcome<Change[]>[], extra: { dry_run: boolean; started: number; signal?: AbortSignal }): UpReport {
  const reports = nodes.map((n, i): NodeReport => {
    const o = outcomes[i];
    return { name: n.name, role: n.role, ok: o.ok, records: o.value ?? [], ...(o.ok ? {} : { error: o.error }), ...(o.skipped ? { skipped: true } : {}) };
  });
  const interrupted = interruptedBy(extra.signal);
  return {
    ok: reports.every((r) => r.ok),
    dry_run: extra.dry_run,
    changed: reports.some((r) => r.records.length > 0),
    nodes: reports,
    elapsed_ms: Date.now() - extra.started,
    ...(interrupted ? { interrupted } : {}),
  };
}

/** A promise and the function that fulfils it. */
function settled(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function needsShippedAgent(plan: Plan): boolean {
  return plan.switches.some((s) => s.role === 'leaf' && platformOf(s).agent.shipped);
}
