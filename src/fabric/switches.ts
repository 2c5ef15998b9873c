/**
 * A switch's share of `up` and `down`: install what changed, apply it the cheapest way the
 * platform allows (reload, not restart), and keep redistribute-neighbor running on leaves.
 */
import { NodeError } from '../errors.js';
import type { RenderedNode } from '../render/index.js';
import type { NodeConnection } from '../transport/ssh.js';
import type { SwitchPlan } from '../topology/types.js';
import { agentDir, installAgent, isAgentInstalled, type AgentBundle } from './agent.js';
import type { Change } from './changes.js';
import { compareFiles, installFiles, markApplied, restoreOriginals } from './config-files.js';
import type { FabricContext } from './context.js';
import { runRemote } from './remote.js';
import { parseAgentState } from '../platforms/agents.js';
import { AGENT, applySteps, fileSpec, platformOf, type ConfigFile, type Platform, type RenderedFile, type SwitchPlatform } from '../platforms/index.js';

export interface SwitchUpOptions {
  dryRun: boolean;
  files: RenderedNode;
  /** the agent to ship to leaves of a platform without rdnbrd */
  agent?: AgentBundle;
}

export async function upSwitch(ctx: FabricContext, sw: SwitchPlan, opts: SwitchUpOptions): Promise<Change[]> {
  const conn = await ctx.connect(sw);
  const platform = platformOf(sw);
  ctx.progress({ kind: 'step', node: sw.name, doing: 'comparing config' });
  const files = opts.files;
  const { changed, unapplied, current } = await compareFiles(conn, files.values());
  // e.g. a daemons file that differs only in comments needs no restart of FRR; one left unapplied might
  const takeEffect = [...changed.filter((f) => !fileSpec(platform, f.kind).sameEffect?.(current.get(f) ?? null, f.text)), ...unapplied];
  const changes: Change[] = [...changed.map((f) => ({ type: 'install' as const, path: f.path })), ...unapplied.map((f) => ({ type: 'apply-pending' as const, path: f.path }))];
  if (opts.dryRun) return [...changes, ...(await agentWouldChange(conn, sw, platform, [...changed, ...unapplied], opts.agent))];

  if (changed.length > 0) {
    ctx.progress({ kind: 'step', node: sw.name, doing: `checking and installing ${changed.map((f) => f.path).join(', ')}` });
    await installFiles(conn, platform, changed);
  }
  // a file an earlier run installed but never applied counts as changed for whoever reads it (the agent too)
  const apply = [...changed, ...unapplied];
  if (apply.length > 0) changes.push(...(await applyChanged(conn, platform, takeEffect.map((f) => f.kind))));
  if (sw.role === 'leaf') changes.push(...(await ensureAgent(ctx, conn, platform, agentConfigIn(platform, apply), opts.agent)));
  // only now is every file read by whoever reads it: a run cut off before this applies them again
  if (apply.length > 0) await markApplied(conn, apply);
  return changes;
}

/** The installed files take effect: interfaces reloaded, FRR reloaded (restarted only for daemons). */
async function applyChanged(conn: NodeConnection, platform: Platform, kinds: string[]): Promise<Change[]> {
  const done: Change[] = [];
  for (const { name, command, summary } of applySteps(platform, kinds)) {
    await runRemote(conn, command);
    done.push({ type: 'apply', step: name, command, summary });
  }
  return done;
}

/** The agent reads one of `files`: ensuring it must reload it. */
function agentConfigIn(platform: Platform, files: readonly RenderedFile[]): boolean {
  return files.some((f) => fileSpec(platform, f.kind).takesEffect === AGENT);
}

/** What an ensure script's answer says was done. */
const ENSURED = { started: 'start', restarted: 'restart', reloaded: 'reload' } as const;

async function ensureAgent(ctx: FabricContext, conn: NodeConnection, platform: SwitchPlatform, configChanged: boolean, agent?: AgentBundle): Promise<Change[]> {
  const changes: Change[] = [];
  let dir: string | undefined;
  if (platform.agent.shipped) {
    if (!agent) throw new NodeError(conn.node, 'its platform runs cldemo\'s agent, and no agent bundle was given');
    ctx.progress({ kind: 'step', node: conn.node, doing: 'redistribute-neighbor agent' });
    if (await installAgent(conn, agent)) changes.push({ type: 'agent', action: 'upload', dir: agentDir(agent) });
    dir = agentDir(agent);
  }
  const outcome = parseAgentState(conn.node, (await runRemote(conn, platform.agent.ensure(dir, configChanged), { what: 'starting rdnbrd' })).stdout);
  if (outcome === 'running') return changes;
  if (!(outcome in ENSURED)) throw new NodeError(conn.node, `the rdnbrd script answered ${outcome} when asked to start it`);
  return [...changes, { type: 'agent', action: ENSURED[outcome as keyof typeof ENSURED] }];
}

async function agentWouldChange(conn: NodeConnection, sw: SwitchPlan, platform: SwitchPlatform, changed: RenderedFile[], agent?: AgentBundle): Promise<Change[]> {
  if (sw.role !== 'leaf') return [];
  const would: Change[] = [];
  if (platform.agent.shipped && agent && !(await isAgentInstalled(conn, agent))) would.push({ type: 'agent', action: 'upload', dir: agentDir(agent) });
  const status = parseAgentState(conn.node, (await runRemote(conn, platform.agent.status(), { what: 'asking whether rdnbrd runs' })).stdout);
  if (status !== 'running') would.push({ type: 'agent', action: 'start' });
  else if (agentConfigIn(platform, changed) || would.length > 0) would.push({ type: 'agent', action: 'reload' });
  return would;
}

export interface SwitchDownOptions {
  purgeConfig: boolean;
  /** the switch's config files (what purgeConfig restores) */
  files: ConfigFile[];
}

export async function downSwitch(ctx: FabricContext, sw: SwitchPlan, opts: SwitchDownOptions): Promise<Change[]> {
  const conn = await ctx.connect(sw);
  const platform = platformOf(sw);
  const changes: Change[] = [];
  if (sw.role === 'leaf') {
    ctx.progress({ kind: 'step', node: sw.name, doing: 'stopping rdnbrd' });
    const outcome = parseAgentState(conn.node, (await runRemote(conn, platform.agent.stop(), { what: 'stopping rdnbrd' })).stdout);
    if (outcome === 'stopped') changes.push({ type: 'agent', action: 'stop' });
  }
  if (opts.purgeConfig) {
    ctx.progress({ kind: 'step', node: sw.name, doing: 'restoring previous config' });
    const restored = await restoreOriginals(conn, opts.files);
    changes.push(...restored.map((f) => ({ type: 'restore' as const, path: f.path })));
    changes.push(...(await applyChanged(conn, platform, restored.map((f) => f.kind))));
  }
  return changes;
}
