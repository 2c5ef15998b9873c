/**
 * What every fabric operation shares: the plan, how to reach a node, how many nodes to work
 * on at once, and who hears its progress events. Unit tests pass a fake `connect`.
 */
import { eachLimit, sleep } from '../concurrency.js';
import { messageOf, NodeError } from '../errors.js';
import type { NodeConnection } from '../transport/node-connection.js';
import type { NodePlan, Plan } from '../topology/types.js';
import type { Change } from './change/changes.js';
import type { ImpairmentInForce } from './observe/formats.js';

export type Connect = (node: NodePlan) => Promise<NodeConnection>;

/**
 * What a fabric run says while it works. The fabric only emits these; the command decides
 * whether and how they are shown (src/output.ts draws them).
 */
export type ProgressEvent =
  /** a node started one step of its work */
  | { kind: 'step'; node: string; doing: string }
  /** up or down finished a node; `changes` empty: it already matched; `dryRun`: what would change */
  | { kind: 'node-done'; node: string; changes: Change[]; dryRun: boolean }
  /** ping-sweep heard back from a leaf */
  | { kind: 'swept'; node: string; answered: number; targets: number }
  /** verify-routes finished one round of checks */
  | { kind: 'round'; holding: number; switches: number; switchesPending: number; httpPending: number };

export type OnProgress = (event: ProgressEvent) => void;

export interface FabricContext {
  plan: Plan;
  connect: Connect;
  parallel: number;
  progress: OnProgress;
  /** aborted by the first Ctrl-C / SIGTERM: no new node starts, those in flight finish */
  signal?: AbortSignal;
  /** whether the node's connection was open and has dropped since (then its work is retried once) */
  connectionLost?: (node: string) => boolean;
  /** wait before that retry (default 1 s; tests shorten it) */
  reconnectDelayMs?: number;
  /** the impairments in force, where the provider can read them (the lab); status shows them */
  impairments?: () => Promise<ImpairmentInForce[]>;
}

// most of the time goes to waiting on nodes, not to work here: over 100 ms management round
// trips, `up` with nothing to change on 100 nodes took 21 s at 16 (7 waves), 10 s at 64 and
// 9 s at 100 (bench scenario 8); 64 keeps a fabric of that size to two waves, and what cldemo
// itself holds per node in flight (one SSH connection, a few KB) stays small
export const DEFAULT_PARALLEL = 64;

export const silentProgress: OnProgress = () => {};

export interface NodeOutcome<T> {
  node: string;
  ok: boolean;
  value?: T;
  error?: string;
  /** never started: the run was interrupted first */
  skipped?: boolean;
}

/**
 * Runs `work` on every node, at most `parallel` at once. A node that fails (unreachable,
 * a failed check) fails only its own outcome; the others run to the end. Once `signal`
 * aborts, nodes not yet started are skipped; the ones in flight finish.
 */
export async function forEachNode<N extends { name: string }, T>(
  nodes: N[],
  parallel: number,
  work: (node: N) => Promise<T>,
  signal?: AbortSignal,
): Promise<NodeOutcome<T>[]> {
  const outcomes: NodeOutcome<T>[] = new Array(nodes.length);
  await eachLimit(
    [...nodes.keys()],
    Math.max(1, parallel),
    async (i) => {
      const node = nodes[i];
      try {
        outcomes[i] = { node: node.name, ok: true, value: await work(node) };
      } catch (e) {
        outcomes[i] = { node: node.name, ok: false, error: stripNode(node.name, e) };
      }
    },
    signal,
  );
  return nodes.map((n, i) => outcomes[i] ?? { node: n.name, ok: false, skipped: true, error: `not started: interrupted by ${String(signal?.reason ?? 'a signal')}` });
}

/**
 * A node's whole share of a run, retried once (after a pause) when its SSH connection dropped
 * under it: the work compares before it changes anything, so a second pass finishes the job.
 */
export async function retryOnLostConnection<T>(ctx: FabricContext, node: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (first) {
    if (!ctx.connectionLost?.(node) || ctx.signal?.aborted) throw first;
    const delay = ctx.reconnectDelayMs ?? 1000;
    ctx.progress({ kind: 'step', node, doing: `SSH connection lost (${firstLine(first)}); reconnecting in ${delay / 1000} s` });
    await sleep(delay);
    try {
      return await work();
    } catch (second) {
      throw new NodeError(node, `SSH connection lost and not restored (retried once after ${delay / 1000} s): ${stripNode(node, second)}`);
    }
  }
}

function firstLine(e: unknown): string {
  return messageOf(e).split('\n')[0];
}

/** NodeError's message already starts with the node's name; summaries add it themselves. */
function stripNode(node: string, e: unknown): string {
  const message = messageOf(e);
  return e instanceof NodeError && message.startsWith(`${node}: `) ? message.slice(node.length + 2) : message;
}
