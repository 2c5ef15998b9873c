/**
 * What every fabric operation shares: the plan, how to reach a node, how many nodes to work
 * on at once, and where to report progress. Unit tests pass a fake `connect`.
 */
import { eachLimit } from '../concurrency.js';
import { NodeError } from '../errors.js';
import type { Progress } from '../output.js';
import { ConnectionPool } from '../transport/ssh.js';
import type { NodeConnection } from '../transport/ssh.js';
import type { NodePlan, Plan } from '../topology/types.js';

export type Connect = (node: NodePlan) => Promise<NodeConnection>;

export interface FabricContext {
  plan: Plan;
  connect: Connect;
  parallel: number;
  progress: Progress;
}

// most of the time goes to waiting on nodes, not to work here; 16 covers a rack-scale lab at once
export const DEFAULT_PARALLEL = 16;

export const silentProgress: Progress = { step() {}, done() {}, fail() {}, stop() {} };

/** A context whose connections come from one pool; call `close` when the command ends. */
export function sshContext(plan: Plan, opts: { parallel?: number; progress?: Progress } = {}): FabricContext & { close(): Promise<void> } {
  const pool = new ConnectionPool();
  return {
    plan,
    connect: (node) => pool.get(node.name, node.mgmt),
    parallel: opts.parallel ?? DEFAULT_PARALLEL,
    progress: opts.progress ?? silentProgress,
    close: () => pool.closeAll(),
  };
}

export interface NodeOutcome<T> {
  node: string;
  ok: boolean;
  value?: T;
  error?: string;
}

/**
 * Runs `work` on every node, at most `parallel` at once. A node that fails (unreachable,
 * a failed check) fails only its own outcome; the others run to the end.
 */
export async function forEachNode<N extends { name: string }, T>(
  nodes: N[],
  parallel: number,
  work: (node: N) => Promise<T>,
): Promise<NodeOutcome<T>[]> {
  const outcomes: NodeOutcome<T>[] = new Array(nodes.length);
  await eachLimit([...nodes.keys()], Math.max(1, parallel), async (i) => {
    const node = nodes[i];
    try {
      outcomes[i] = { node: node.name, ok: true, value: await work(node) };
    } catch (e) {
      outcomes[i] = { node: node.name, ok: false, error: stripNode(node.name, e) };
    }
  });
  return outcomes;
}

/** NodeError's message already starts with the node's name; summaries add it themselves. */
function stripNode(node: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return e instanceof NodeError && message.startsWith(`${node}: `) ? message.slice(node.length + 2) : message;
}

/** Runs a remote command that must succeed; its output is the answer. */
export async function run(conn: NodeConnection, command: string, what: string, timeoutMs = 60_000): Promise<string> {
  const r = await conn.exec(command, { timeoutMs });
  if (r.code !== 0) {
    const output = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-8).join('\n  ');
    throw new NodeError(conn.node, `${what} failed (exit ${r.code})${output ? `:\n  ${output}` : ''}`);
  }
  return r.stdout;
}
