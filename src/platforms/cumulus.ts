/**
 * `cumulus`: Cumulus Linux. Debian's layout and FRR under systemd, and its own rdnbrd
 * (a systemd unit reading /etc/rdnbrd.conf). The lab cannot run it.
 */
import { systemdRdnbrd } from './agents.js';
import { frrApplySteps, frrRemedies, frrSwitchFiles } from './debian.js';
import { FRR_SHOW } from './frr-show.js';
import { LINUX_MEASURE, LINUX_PORTS, LINUX_PROBES } from './linux.js';
import { BUILTIN_TEMPLATES } from './templates.js';
import type { SwitchPlatform } from './types.js';

export const cumulus: SwitchPlatform = {
  name: 'cumulus',
  runs: 'switch',
  lab: false,
  templates: BUILTIN_TEMPLATES,
  files: frrSwitchFiles('cumulus'),
  apply: frrApplySteps('systemctl restart frr'),
  agent: systemdRdnbrd,
  probes: LINUX_PROBES,
  show: FRR_SHOW,
  leafLimits: {
    ipv6: "Cumulus' rdnbrd redistributes IPv4 neighbors (ARP) only, so its leaves would learn and advertise no container /128",
  },
  ports: LINUX_PORTS,
  measure: LINUX_MEASURE,
  services: { frr: { restart: 'systemctl restart frr' }, agent: { kill: 'systemctl kill --signal=KILL rdnbrd' } },
  remedies: frrRemedies('systemctl start frr'),
};
