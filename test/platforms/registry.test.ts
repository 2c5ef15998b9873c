import { applySteps, configFilesFor, defaultSwitchPlatform, fileSpec, labSwitchPlatforms, platformOf, registerPlatform, serverPlatform, switchPlatform, switchPlatformNames } from '../../src/platforms/index.js';
import { frrDaemonSettings } from '../../src/platforms/debian.js';
import { frr } from '../../src/platforms/frr.js';
import { defaultPlan } from '../render/plans.js';

describe('the platform registry', () => {
  const plan = defaultPlan();
  const node = (name: string) => [...plan.switches, ...plan.servers].find((n) => n.name === name)!;
  const steps = (platform: string, kinds: string[]) => applySteps(switchPlatform(platform), kinds).map((s) => s.command);

  test('frr, then cumulus; frr is the default and the only one the lab runs; servers have their own', () => {
    expect(switchPlatformNames()).toEqual(['frr', 'cumulus']);
    expect(defaultSwitchPlatform()).toBe('frr');
    expect(labSwitchPlatforms()).toEqual(['frr']);
    expect(platformOf(node('server01'))).toBe(serverPlatform());
    expect(platformOf(node('leaf01'))).toBe(frr);
    expect(() => switchPlatform('server')).toThrow(/no switch platform named "server" \(known: frr, cumulus\)/);
  });

  test('a name is registered once; a file must take effect by one of its platform\'s steps', () => {
    expect(() => registerPlatform(frr)).toThrow(/already registered/);
    const broken = { ...frr, name: 'broken', apply: [] };
    expect(() => registerPlatform(broken)).toThrow(/broken: \/etc\/network\/interfaces takes effect by reloadInterfaces, which is not one of its apply steps/);
    expect(switchPlatformNames()).not.toContain('broken');
  });

  test('which files each role gets, in the platform\'s order', () => {
    expect(configFilesFor(node('leaf01')).map((f) => f.kind)).toEqual(['interfaces', 'frr', 'daemons', 'rdnbrd']);
    expect(configFilesFor(node('spine01')).map((f) => f.kind)).toEqual(['interfaces', 'frr', 'daemons']);
    expect(configFilesFor(node('server01'))).toEqual([{ kind: 'interfaces', path: '/etc/network/interfaces' }]);
  });

  test('interfaces apply first; a restart of FRR covers its reload; the agent is not an apply step', () => {
    expect(applySteps(frr, ['frr', 'interfaces']).map((s) => s.name)).toEqual(['reloadInterfaces', 'reloadFrr']);
    expect(applySteps(frr, ['frr', 'daemons', 'rdnbrd']).map((s) => s.name)).toEqual(['restartFrr']);
    expect(applySteps(frr, ['rdnbrd'])).toEqual([]);
    expect(steps('cumulus', ['daemons', 'interfaces'])).toEqual(['ifreload -a', 'systemctl restart frr']);
    expect(steps('frr', ['frr'])).toEqual(['/usr/lib/frr/frr-reload.py --reload /etc/frr/frr.conf']);
    expect(steps('frr', ['daemons'])).toEqual([expect.stringMatching(/^if ! vtysh .*; then exec \/usr\/lib\/frr\/frrinit\.sh restart; fi\n/)]);
  });

  test('a restart of FRR kills bgpd first, as a crash would, only when it runs with graceful restart (FRR 8.4 withdraws its routes when stopped)', () => {
    const [restart] = steps('frr', ['daemons']);
    const lines = restart.split('\n');
    // without graceful restart: the plain restart, nothing else
    expect(lines[0]).toBe("if ! vtysh -c 'show running-config' 2>/dev/null | grep -qx ' bgp graceful-restart'; then exec /usr/lib/frr/frrinit.sh restart; fi");
    expect(lines[1]).toMatch(/watchfrr\.pid.* kill -INT /);
    expect(lines[2]).toMatch(/bgpd\.pid.* kill -KILL /);
    // zebra's copies of the agent's /32s go while zebra is stopped, the agent's table steering meanwhile
    const stop = lines.indexOf('/usr/lib/frr/frrinit.sh stop');
    const start = lines.indexOf('/usr/lib/frr/frrinit.sh start; rc=$?');
    expect(lines.slice(0, stop).join('\n')).toMatch(/ip rule add pref 100 lookup "\$t"/);
    expect(lines.slice(stop, start).join('\n')).toMatch(/ip -4 route del "\$dst" table main proto zebra/);
    expect(lines.slice(start).join('\n')).toMatch(/ip rule del pref 100 lookup "\$t"/);
    expect(lines.at(-1)).toBe('exit $rc');
  });

  test('checks run against the candidate file; rdnbrd.conf has none', () => {
    expect(fileSpec(frr, 'frr').check!('/x')).toEqual(['vtysh', '--dryrun', '--inputfile', '/x']);
    expect(fileSpec(frr, 'daemons').check!('/x')).toEqual(['sh', '-n', '/x']);
    expect(fileSpec(frr, 'rdnbrd').check).toBeUndefined();
  });

  test("daemons: comments and disabled daemons' options have the same effect; a daemon switched on does not", () => {
    const same = fileSpec(frr, 'daemons').sameEffect!;
    expect(same('bgpd=yes\nospfd=no\n', '# comment\nbgpd=yes\nospfd=no\nospfd_options=" -A 127.0.0.1"\n')).toBe(true);
    expect(same('bgpd=yes\n', 'bgpd=yes\nospfd=yes\n')).toBe(false);
    expect(frrDaemonSettings(null)).toBe('staticd=yes\nzebra=yes');
    // BFD and graceful restart (bfdd, zebra -r -K) take effect only by a restart
    expect(same('bfdd=no\nzebra_options="-A 127.0.0.1"\n', 'bfdd=yes\nzebra_options="-A 127.0.0.1"\n')).toBe(false);
    expect(same('zebra_options="-A 127.0.0.1"\n', 'zebra_options="-A 127.0.0.1 -r -K 120"\n')).toBe(false);
  });
});
