/**
 * `boxos`: a platform that exists only in the tests, to show that a platform is one module
 * plus its templates. Its layout is not Debian's: one config file per daemon under
 * /etc/boxos, each checked by the box's own CLI, and nothing takes effect until a single
 * `boxctl commit` (a commit model, as VyOS or Junos have). Its redistribute-neighbor is a
 * service of the box. It brings its own templates (./templates) and extends a built-in one.
 */
import { fileURLToPath } from 'node:url';
import { AGENT, type SwitchPlatform } from '../../../src/platforms/index.js';
import { FRR_SHOW } from '../../../src/platforms/frr-show.js';
import { LINUX_PROBES } from '../../../src/platforms/linux.js';

const check = (daemon: string) => (file: string) => ['boxctl', 'check', daemon, file];

export const boxos: SwitchPlatform = {
  name: 'boxos',
  runs: 'switch',
  lab: false,
  templates: fileURLToPath(new URL('./templates', import.meta.url)),
  files: [
    { kind: 'interfaces', path: '/etc/boxos/interfaces.conf', template: 'interfaces.conf.j2', check: check('interfaces'), takesEffect: 'commit' },
    { kind: 'zebra', path: '/etc/boxos/zebra.conf', template: 'zebra.conf.j2', check: check('zebra'), takesEffect: 'commit' },
    { kind: 'bgpd', path: '/etc/boxos/bgpd.conf', template: 'bgpd.conf.j2', check: check('bgpd'), takesEffect: 'commit' },
    { kind: 'rdnbrd', path: '/etc/boxos/rdnbrd.conf', template: 'rdnbrd.conf.j2', appliesTo: (n) => n.role === 'leaf', takesEffect: AGENT },
  ],
  apply: [{ name: 'commit', command: 'boxctl commit --confirm', summary: 'committed' }],
  agent: {
    shipped: false,
    ensure: (_dir, changed) => (changed ? 'boxctl service rdnbrd restart && echo restarted' : 'boxctl service rdnbrd ensure'),
    stop: () => 'boxctl service rdnbrd stop',
    status: () => 'boxctl service rdnbrd status',
  },
  probes: LINUX_PROBES,
  show: FRR_SHOW,
};
