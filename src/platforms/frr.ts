/**
 * `frr`: Debian (or any Linux) with FRR and ifupdown2, what the lab runs. It has no rdnbrd,
 * so cldemo ships its own redistribute-neighbor agent (src/rdnbrd) and starts it itself.
 */
import { shippedAgent } from './agents.js';
import { frrApplySteps, frrSwitchFiles, gracefulFrrRestart, RDNBRD_CONF } from './debian.js';
import { FRR_SHOW } from './frr-show.js';
import { LINUX_PORTS, LINUX_PROBES } from './linux.js';
import { BUILTIN_TEMPLATES } from './templates.js';
import type { SwitchPlatform } from './types.js';

export const frr: SwitchPlatform = {
  name: 'frr',
  runs: 'switch',
  lab: true,
  templates: BUILTIN_TEMPLATES,
  files: frrSwitchFiles('frr'),
  apply: frrApplySteps(gracefulFrrRestart('/usr/lib/frr/frrinit.sh restart')),
  agent: shippedAgent(RDNBRD_CONF),
  probes: LINUX_PROBES,
  show: FRR_SHOW,
  ports: LINUX_PORTS,
};
