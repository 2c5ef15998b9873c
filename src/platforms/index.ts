/**
 * The platform registry (containerlab's kinds as the model): every platform is one module
 * of this folder exporting one object, registered here. The topology's `platform:` values,
 * its default, the lab rule and the JSON Schema are read from this registry; nothing
 * outside src/platforms names a platform. A test may register one of its own.
 */
import { OperationError } from '../errors.js';
import type { NodePlan, ServerPlan, SwitchPlan } from '../topology/types.js';
import { cumulus } from './cumulus.js';
import { frr } from './frr.js';
import { server } from './server.js';
import { AGENT, type AgentStrategy, type ApplyStep, type ConfigFile, type ConfigFileSpec, type Platform, type ServerPlatform, type SwitchPlatform } from './types.js';

const registry = new Map<string, Platform>();
let generation = 0;

/** Adds a platform; its name must be new. The first switch platform registered is the default. */
export function registerPlatform(p: Platform): void {
  if (registry.has(p.name)) throw new OperationError(`a platform named ${p.name} is already registered`);
  const steps = new Set(p.apply.map((s) => s.name));
  for (const f of p.files) {
    if (f.takesEffect !== AGENT && !steps.has(f.takesEffect)) {
      throw new OperationError(`platform ${p.name}: ${f.path} takes effect by ${f.takesEffect}, which is not one of its apply steps`);
    }
  }
  registry.set(p.name, p);
  generation += 1;
}

// frr first: the default platform
registerPlatform(frr);
registerPlatform(cumulus);
registerPlatform(server);

/** Changes whenever a platform is registered: whoever derives something from the registry caches by it. */
export function registryGeneration(): number {
  return generation;
}

const isSwitch = (n: NodePlan): n is SwitchPlan => n.role !== 'server';

function switchPlatforms(): SwitchPlatform[] {
  return [...registry.values()].filter((p): p is SwitchPlatform => p.runs === 'switch');
}

/** What `platform:` may name, in registration order. */
export function switchPlatformNames(): [string, ...string[]] {
  const names = switchPlatforms().map((p) => p.name);
  if (names.length === 0) throw new OperationError('no switch platform is registered');
  return names as [string, ...string[]];
}

/** A switch's platform when the topology names none. */
export function defaultSwitchPlatform(): string {
  return switchPlatformNames()[0];
}

/** The switch platforms whose leaves cannot serve a dual-stack topology, and why (one line each). */
export function platformsWithoutIpv6Leaves(): Map<string, string> {
  return new Map(switchPlatforms().flatMap((p) => (p.leafLimits?.ipv6 ? [[p.name, p.leafLimits.ipv6] as const] : [])));
}

/** The switch platforms the lab can build. */
export function labSwitchPlatforms(): string[] {
  return switchPlatforms().filter((p) => p.lab).map((p) => p.name);
}

export function switchPlatform(name: string): SwitchPlatform {
  const p = registry.get(name);
  if (!p || p.runs !== 'switch') throw new OperationError(`no switch platform named ${JSON.stringify(name)} (known: ${switchPlatformNames().join(', ')})`);
  return p;
}

/** The Docker hosts' platform. */
export function serverPlatform(): ServerPlatform {
  const p = [...registry.values()].find((q): q is ServerPlatform => q.runs === 'server');
  if (!p) throw new OperationError('no server platform is registered');
  return p;
}

export function platformOf(node: SwitchPlan): SwitchPlatform;
export function platformOf(node: ServerPlan): ServerPlatform;
export function platformOf(node: NodePlan): Platform;
export function platformOf(node: NodePlan): Platform {
  return isSwitch(node) ? switchPlatform(node.platform) : serverPlatform();
}

/** How `node` runs redistribute-neighbor: leaves do, by their platform's strategy; other nodes not at all. */
export function agentOf(node: NodePlan): AgentStrategy | undefined {
  return isSwitch(node) && node.role === 'leaf' ? switchPlatform(node.platform).agent : undefined;
}

/** The config files a node gets, in its platform's order. */
export function configFilesFor(node: NodePlan): ConfigFile[] {
  return platformOf(node).files.filter((f) => f.appliesTo?.(node) ?? true).map(({ kind, path }) => ({ kind, path }));
}

/** The spec of one of a platform's files. */
export function fileSpec(p: Platform, kind: string): ConfigFileSpec {
  const spec = p.files.find((f) => f.kind === kind);
  if (!spec) throw new OperationError(`platform ${p.name} has no config file ${kind}`);
  return spec;
}

/**
 * The steps that make installed files of `kinds` take effect, in the platform's order; a
 * step that another due step covers is left out. Files the agent reads are left to whoever
 * ensures the agent.
 */
export function applySteps(p: Platform, kinds: readonly string[]): ApplyStep[] {
  const wanted = new Set(kinds.map((k) => fileSpec(p, k).takesEffect));
  const due = p.apply.filter((s) => wanted.has(s.name));
  const covered = new Set(due.flatMap((s) => s.covers ?? []));
  return due.filter((s) => !covered.has(s.name));
}

export type * from './types.js';
export { AGENT } from './types.js';
