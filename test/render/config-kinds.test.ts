import { applyActions, CONFIG_KINDS, configFilesFor, frrDaemonSettings } from '../../src/render/config-kinds.js';
import { applyCommands, PLATFORMS } from '../../src/fabric/platforms.js';
import { defaultPlan } from './plans.js';

describe('the table of config kinds', () => {
  const plan = defaultPlan();
  const node = (name: string) => [...plan.switches, ...plan.servers].find((n) => n.name === name)!;

  test('which kinds each role gets, in table order', () => {
    expect(configFilesFor(node('leaf01')).map((f) => f.kind)).toEqual(['interfaces', 'frr', 'daemons', 'rdnbrd']);
    expect(configFilesFor(node('spine01')).map((f) => f.kind)).toEqual(['interfaces', 'frr', 'daemons']);
    expect(configFilesFor(node('server01'))).toEqual([{ kind: 'interfaces', path: '/etc/network/interfaces' }]);
  });

  test('interfaces apply first; a restart of FRR covers its reload; the agent is not a platform command', () => {
    expect(applyActions(['frr', 'interfaces'])).toEqual(['reloadInterfaces', 'reloadFrr']);
    expect(applyActions(['frr', 'daemons', 'rdnbrd'])).toEqual(['restartFrr']);
    expect(applyActions(['rdnbrd'])).toEqual([]);
    expect(applyCommands(PLATFORMS.cumulus, ['daemons', 'interfaces'])).toEqual(['ifreload -a', 'systemctl restart frr']);
    expect(applyCommands(PLATFORMS.frr, ['frr'])).toEqual(['/usr/lib/frr/frr-reload.py --reload /etc/frr/frr.conf']);
  });

  test('checks run against the candidate file; rdnbrd.conf has none', () => {
    expect(CONFIG_KINDS.frr.check!('/x')).toEqual(['vtysh', '--dryrun', '--inputfile', '/x']);
    expect(CONFIG_KINDS.daemons.check!('/x')).toEqual(['sh', '-n', '/x']);
    expect(CONFIG_KINDS.rdnbrd.check).toBeUndefined();
  });

  test('daemons: comments and disabled daemons\' options have the same effect; a daemon switched on does not', () => {
    const same = CONFIG_KINDS.daemons.sameEffect!;
    expect(same('bgpd=yes\nospfd=no\n', '# comment\nbgpd=yes\nospfd=no\nospfd_options=" -A 127.0.0.1"\n')).toBe(true);
    expect(same('bgpd=yes\n', 'bgpd=yes\nospfd=yes\n')).toBe(false);
    expect(frrDaemonSettings(null)).toBe('staticd=yes\nzebra=yes');
  });
});
