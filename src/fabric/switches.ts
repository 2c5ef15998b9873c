/**
 * A switch's share of `up` and `down`: install what changed, apply it the cheapest way the
 * platform allows (reload, not restart), and keep redistribute-neighbor running on leaves.
 */
import { NodeError } from '../errors.js';
import type { NodeConnection } from '../transport/ssh.js';
import type { SwitchPlan } from '../topology/types.js';
import { agentDir, installAgent, isAgentInstalled, type AgentBundle } from './agent.js';
import { compareFiles, installFiles, markApplied, restoreOriginals, frrDaemonSettings } from './config-files.js';
import type { FabricContext } from './context.js';
import { runRemote } from './remote.js';
import { FRR_CONF, FRR_DAEMONS, INTERFACES, RDNBRD_CONF, PLATFORMS, parseAgentState, type PlatformCommands } from './platforms.js';

export interface SwitchUpOptions {
  dryRun: boolean;
  files: Map<string, string>;
  /** the agent to ship to leaves of a platform without rdnbrd */
  agent?: AgentBundle;
}

export async function upSwitch(ctx: FabricContext, sw: SwitchPlan, opts: SwitchUpOptions): Promise<string[]> {
  const conn = await ctx.connect(sw);
  const cmds = PLATFORMS[sw.platform];
  ctx.progress({ kind: 'step', node: sw.name, doing: 'comparing config' });
  const files = opts.files;
  const { changed, unapplied, current } = await compareFiles(conn, files);
  // a daemons file that differs only in comments needs no restart of FRR; one left unapplied might
  const restart =
    unapplied.includes(FRR_DAEMONS) || (changed.includes(FRR_DAEMONS) && frrDaemonSettings(current.get(FRR_DAEMONS) ?? null) !== frrDaemonSettings(files.get(FRR_DAEMONS) ?? null));
  const changes = [
    ...changed.map((p) => `${opts.dryRun ? 'would install' : 'installed'} ${p}`),
    ...unapplied.map((p) => `${opts.dryRun ? 'would apply' : 'applying'} ${p} (installed by an earlier run that stopped before applying it)`),
  ];
  if (opts.dryRun) return [...changes, ...(await agentWouldChange(conn, sw, cmds, changed, opts.agent))];

  if (changed.length > 0) {
    ctx.progress({ kind: 'step', node: sw.name, doing: `checking and installing ${changed.join(', ')}` });
    await installFiles(conn, files, changed);
  }
  const apply = [...changed, ...unapplied];
  if (apply.length > 0) {
    changes.push(...(await applyChanged(conn, cmds, apply, restart)));
    await markApplied(conn, apply);
  }
  if (sw.role === 'leaf') changes.push(...(await ensureAgent(ctx, conn, cmds, changed.includes(RDNBRD_CONF), opts.agent)));
  return changes;
}

/** The installed files take effect: interfaces reloaded, FRR reloaded (restarted only for daemons). */
async function applyChanged(conn: NodeConnection, cmds: PlatformCommands, changed: string[], restart: boolean): Promise<string[]> {
  const done: string[] = [];
  const step = async (command: string) => {
    await runRemote(conn, command);
    done.push(command);
  };
  if (changed.includes(INTERFACES)) await step(cmds.reloadInterfaces);
  if (restart) await step(cmds.restartFrr);
  else if (changed.includes(FRR_CONF)) await step(cmds.reloadFrr);
  return done;
}

async function ensureAgent(ctx: FabricContext, conn: NodeConnection, cmds: PlatformCommands, configChanged: boolean, agent?: AgentBundle): Promise<string[]> {
  const changes: string[] = [];
  let dir: string | undefined;
  if (cmds.agent.shipped) {
    if (!agent) throw new NodeError(conn.node, 'its platform runs cldemo\'s agent, and no agent bundle was given');
    ctx.progress({ kind: 'step', node: conn.node, doing: 'redistribute-neighbor agent' });
    if (await installAgent(conn, agent)) changes.push(`uploaded the rdnbrd agent to ${agentDir(agent)}`);
    dir = agentDir(agent);
  }
  const outcome = parseAgentState(conn.node, (await runRemote(conn, cmds.agent.ensure(dir, configChanged), { what: 'starting rdnbrd' })).stdout);
  if (outcome !== 'running') changes.push(`rdnbrd ${outcome}`);
  return changes;
}

async function agentWouldChange(conn: NodeConnection, sw: SwitchPlan, cmds: PlatformCommands, changed: string[], agent?: AgentBundle): Promise<string[]> {
  if (sw.role !== 'leaf') return [];
  const would: string[] = [];
  if (cmds.agent.shipped && agent && !(await isAgentInstalled(conn, agent))) would.push(`would upload the rdnbrd agent to ${agentDir(agent)}`);
  const status = parseAgentState(conn.node, (await runRemote(conn, cmds.agent.status(), { what: 'asking whether rdnbrd runs' })).stdout);
  if (status !== 'running') would.push('would start rdnbrd');
  else if (changed.includes(RDNBRD_CONF) || would.length > 0) would.push('would reload rdnbrd');
  return would;
}

export interface SwitchDownOptions {
  purgeConfig: boolean;
  paths: string[];
}

export async function downSwitch(ctx: FabricContext, sw: SwitchPlan, opts: SwitchDownOptions): Promise<string[]> {
  const conn = await ctx.connect(sw);
  const cmds = PLATFORMS[sw.platform];
  const changes: string[] = [];
  if (sw.role === 'leaf') {
    ctx.progress({ kind: 'step', node: sw.name, doing: 'stopping rdnbrd' });
    const outcome = parseAgentState(conn.node, (await runRemote(conn, cmds.agent.stop(), { what: 'stopping rdnbrd' })).stdout);
    if (outcome === 'stopped') changes.push('rdnbrd stopped');
  }
  if (opts.purgeConfig) {
    ctx.progress({ kind: 'step', node: sw.name, doing: 'restoring previous config' });
    const restored = await restoreOriginals(conn, opts.paths);
    changes.push(...restored.map((p) => `restored ${p}`));
    changes.push(...(await applyChanged(conn, cmds, restored, restored.includes(FRR_DAEMONS))));
  }
  return changes;
}
