/**
 * `frr`: Debian (or any Linux) with FRR and ifupdown2, what the lab runs. It has no rdnbrd,
 * so cldemo ships its own redistribute-neighbor agent (src/rdnbrd) and starts it itself.
 */
import { AGENT_PIDFILE, shippedAgent } from './agents.js';
import { frrApplySteps, frrRemedies, frrSwitchFiles, gracefulFrrRestart, RDNBRD_CONF } from './debian.js';
import { FRR_SHOW } from './frr-show.js';
import { LINUX_MEASURE, LINUX_PORTS, LINUX_PROBES } from './linux.js';
import { BUILTIN_TEMPLATES } from './templates.js';
import type { SwitchPlatform } from './types.js';

const RESTART_FRR = gracefulFrrRestart('/usr/lib/frr/frrinit.sh');

export const frr: SwitchPlatform = {
  name: 'frr',
  runs: 'switch',
  lab: true,
  templates: BUILTIN_TEMPLATES,
  files: frrSwitchFiles('frr'),
  apply: frrApplySteps(RESTART_FRR),
  agent: shippedAgent(RDNBRD_CONF),
  probes: LINUX_PROBES,
  show: FRR_SHOW,
  ports: LINUX_PORTS,
  measure: LINUX_MEASURE,
  services: { frr: { restart: RESTART_FRR }, agent: { kill: `kill -KILL $(cat ${AGENT_PIDFILE})` } },
  remedies: frrRemedies('/usr/lib/frr/frrinit.sh start'),
};
