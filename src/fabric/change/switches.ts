/**
 * A switch's share of `up` and `down`: its config synced (syncConfig: install what changed,
 * apply it the cheapest way the platform allows, keep redistribute-neighbor running on
 * leaves); on the way down the agent stopped and, if asked, the pre-cldemo files put back.
 */
import type { SwitchPlan } from '../../topology/types.js';
import { agentOf, platformOf, type ConfigFile } from '../../platforms/index.js';
import { stopAgent } from './agent.js';
import type { Change } from './changes.js';
import { restoreOriginals } from './config-files.js';
import type { FabricContext } from '../context.js';
import { applyFiles, syncConfig, type SyncOptions } from './sync-config.js';

export type SwitchUpOptions = Omit<SyncOptions, 'say'>;

export async function upSwitch(ctx: FabricContext, sw: SwitchPlan, opts: SwitchUpOptions): Promise<Change[]> {
  const conn = await ctx.connect(sw);
  return syncConfig(ctx, conn, sw, { ...opts, say: { comparing: 'comparing config', installing: true } });
}

export interface SwitchDownOptions {
  purgeConfig: boolean;
  /** the switch's config files (what purgeConfig restores) */
  files: ConfigFile[];
}

export async function downSwitch(ctx: FabricContext, sw: SwitchPlan, opts: SwitchDownOptions): Promise<Change[]> {
  const conn = await ctx.connect(sw);
  const agent = agentOf(sw);
  const changes: Change[] = agent ? await stopAgent(ctx, conn, agent) : [];
  if (opts.purgeConfig) {
    ctx.progress({ kind: 'step', node: sw.name, doing: 'restoring previous config' });
    const restored = await restoreOriginals(conn, opts.files);
    changes.push(...restored.map((f) => ({ type: 'restore' as const, path: f.path })));
    changes.push(...(await applyFiles(conn, platformOf(sw), restored.map((f) => f.kind))));
  }
  return changes;
}
