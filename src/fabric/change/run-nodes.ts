/**
 * The one per-node runner of `up` and `down`: every node's share, at most `ctx.parallel` at
 * once in the order the command gives, each retried once when its connection dropped under
 * it, each saying when it is done; then one report, a node per line in the order the
 * command lists them.
 */
import { interruptedBy } from '../../interrupt.js';
import type { NodePlan } from '../../topology/types.js';
import type { Change } from './changes.js';
import { forEachNode, retryOnLostConnection, type FabricContext, type NodeOutcome } from '../context.js';

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

export interface RunReport {
  ok: boolean;
  dry_run: boolean;
  changed: boolean;
  nodes: NodeReport[];
  elapsed_ms: number;
  /** the signal that stopped the run before every node was done */
  interrupted?: 'SIGINT' | 'SIGTERM';
}

/**
 * A node's share of the run: what it changed. `ended(name)` resolves once that node's share
 * has ended (done or failed): a node may wait for one that starts before it in `work`.
 */
export type NodeJob = (node: NodePlan, ended: (name: string) => Promise<void>) => Promise<Change[]>;

export interface RunOptions {
  dryRun: boolean;
  /** the order nodes start in */
  work: NodePlan[];
  /** the order the report lists them in */
  reportOrder: NodePlan[];
}

export async function runNodes(ctx: FabricContext, job: NodeJob, opts: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const { work } = opts;
  const shares = new Map(work.map((n) => [n.name, settled()]));
  const ended = (name: string): Promise<void> => shares.get(name)?.promise ?? Promise.resolve();
  const done = await forEachNode(
    work,
    ctx.parallel,
    async (node) => {
      try {
        const changes = await retryOnLostConnection(ctx, node.name, () => job(node, ended));
        ctx.progress({ kind: 'node-done', node: node.name, changes, dryRun: opts.dryRun });
        return changes;
      } finally {
        shares.get(node.name)?.resolve();
      }
    },
    ctx.signal,
  );
  const outcomes = opts.reportOrder.map((n) => done[work.indexOf(n)]);
  return report(opts.reportOrder, outcomes, { dry_run: opts.dryRun, started, signal: ctx.signal });
}

/** A promise and the function that fulfils it. */
function settled(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Where a node of a report stands: what the printers and the exit code go by. */
export type NodeState = 'done' | 'failed' | 'not started';

export function nodeState(n: NodeReport): NodeState {
  return n.skipped ? 'not started' : n.ok ? 'done' : 'failed';
}

/** One entry per node, in `nodes` order. */
function report(nodes: NodePlan[], outcomes: NodeOutcome<Change[]>[], extra: { dry_run: boolean; started: number; signal?: AbortSignal }): RunReport {
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
