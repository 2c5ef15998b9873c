/**
 * The one installer, for switches and servers alike: a node's rendered files made true on
 * the node. Only what differs is installed (checked there, the old file kept), then made to
 * take effect the cheapest way its platform allows (its apply steps: a reload, not a
 * restart; a commit) and, on a leaf, by the redistribute-neighbor agent that reads one. A
 * file is marked applied only once everything that reads it has read it.
 */
import type { RenderedNode } from '../../render/index.js';
import type { NodeConnection } from '../../transport/node-connection.js';
import type { NodePlan } from '../../topology/types.js';
import { agentOf, AGENT, applySteps, fileSpec, platformOf, type Platform, type RenderedFile } from '../../platforms/index.js';
import { agentWouldChange, ensureAgent, type AgentBundle } from './agent.js';
import type { Change } from './changes.js';
import { compareFiles, installFiles, markApplied } from './config-files.js';
import type { FabricContext } from '../context.js';
import { runRemote } from '../remote.js';

export interface SyncOptions {
  dryRun: boolean;
  files: RenderedNode;
  /** the agent to ship to leaves of a platform that runs cldemo's own */
  agent?: AgentBundle;
  /** progress: the first step's words, and whether installing is a step of its own */
  say: { comparing: string; installing: boolean };
}

export async function syncConfig(ctx: FabricContext, conn: NodeConnection, node: NodePlan, opts: SyncOptions): Promise<Change[]> {
  const platform = platformOf(node);
  const agent = agentOf(node);
  ctx.progress({ kind: 'step', node: node.name, doing: opts.say.comparing });
  const { changed, unapplied, current } = await compareFiles(conn, opts.files.values());
  const changes: Change[] = [...changed.map((f) => ({ type: 'install' as const, path: f.path })), ...unapplied.map((f) => ({ type: 'apply-pending' as const, path: f.path }))];
  // a file an earlier run installed but never applied counts as changed for whoever reads it (the agent too)
  const pending = [...changed, ...unapplied];
  if (opts.dryRun) return agent ? [...changes, ...(await agentWouldChange(conn, agent, agentReads(platform, pending), opts.agent))] : changes;

  if (changed.length > 0) {
    if (opts.say.installing) ctx.progress({ kind: 'step', node: node.name, doing: `checking and installing ${changed.map((f) => f.path).join(', ')}` });
    await installFiles(conn, platform, changed);
  }
  // e.g. a daemons file that differs only in comments needs no restart of FRR; one left unapplied might
  const takeEffect = [...changed.filter((f) => !fileSpec(platform, f.kind).sameEffect?.(current.get(f) ?? null, f.text)), ...unapplied];
  if (pending.length > 0) changes.push(...(await applyFiles(conn, platform, takeEffect.map((f) => f.kind))));
  if (agent) changes.push(...(await ensureAgent(ctx, conn, agent, agentReads(platform, pending), opts.agent)));
  // only now is every file read by whoever reads it: a run cut off before this applies them again
  if (pending.length > 0) await markApplied(conn, pending);
  return changes;
}

/** Installed files of `kinds` take effect: the platform's apply steps they need, in its order. */
export async function applyFiles(conn: NodeConnection, platform: Platform, kinds: string[]): Promise<Change[]> {
  const done: Change[] = [];
  for (const { name, command, summary } of applySteps(platform, kinds)) {
    await runRemote(conn, command);
    done.push({ type: 'apply', step: name, command, summary });
  }
  return done;
}

/** The agent reads one of `files`: ensuring it must reload it. */
function agentReads(platform: Platform, files: readonly RenderedFile[]): boolean {
  return files.some((f) => fileSpec(platform, f.kind).takesEffect === AGENT);
}
