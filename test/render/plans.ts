/** Plans the render tests share: the default topology, and variants of it. */
import { fileURLToPath } from 'node:url';
import { loadPlanSync } from '../../src/providers.js';
import type { Plan } from '../../src/topology/types.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_TOPOLOGY = `${REPO_ROOT}topology.yaml`;

export function defaultPlan(): Plan {
  return loadPlanSync(DEFAULT_TOPOLOGY);
}

/** The default topology, dual stack (examples/dual-stack.yaml). */
export function dualStackPlan(): Plan {
  return loadPlanSync(`${REPO_ROOT}examples/dual-stack.yaml`);
}

/** The default topology with every switch on `platform`. */
export function planOnPlatform(platform: string): Plan {
  const plan = defaultPlan();
  return { ...plan, switches: plan.switches.map((s) => ({ ...s, platform })) };
}

/** The default topology with BFD and graceful restart on (`bgp:` as the topology would give it). */
export function planWithBgpOptions(base: Plan = defaultPlan(), bgp: Plan['bgp'] = { bfd: { interval: 300, multiplier: 3 }, gracefulRestart: { restartTime: 120, stalepathTime: 360 } }): Plan {
  return { ...base, bgp };
}
