/** What up and down say about their changes: one line per change, and one short line per node. */
import type { Change } from '../../src/fabric/change/changes.js';
import { fit, summarizeChanges, wordChanges } from '../../src/summary.js';

const installed = (...paths: string[]): Change[] => paths.map((path) => ({ type: 'install', path }));
const ifreload: Change = { type: 'apply', step: 'reloadInterfaces', command: 'ifreload -a', summary: 'ifreload' };
const frrReload: Change = { type: 'apply', step: 'reloadFrr', command: '/usr/lib/frr/frr-reload.py --reload /etc/frr/frr.conf', summary: 'FRR reloaded' };
const containers = (action: 'create' | 'remove', ...names: string[]): Change[] => names.map((name) => ({ type: 'container', action, name }));

describe('words', () => {
  test('one line per change, as --json `changes`, --verbose and the progress lines say it', () => {
    const leaf: Change[] = [...installed('/etc/frr/frr.conf'), { type: 'apply-pending', path: '/etc/rdnbrd.conf' }, frrReload, { type: 'agent', action: 'upload', dir: '/usr/local/lib/cldemo/rdnbrd-0123' }, { type: 'agent', action: 'reload' }];
    expect(wordChanges(leaf)).toEqual([
      'installed /etc/frr/frr.conf',
      'applying /etc/rdnbrd.conf (installed by an earlier run that stopped before applying it)',
      '/usr/lib/frr/frr-reload.py --reload /etc/frr/frr.conf',
      'uploaded the rdnbrd agent to /usr/local/lib/cldemo/rdnbrd-0123',
      'rdnbrd reloaded',
    ]);
    expect(wordChanges(leaf.filter((c) => c.type !== 'apply'), true)).toEqual([
      'would install /etc/frr/frr.conf',
      'would apply /etc/rdnbrd.conf (installed by an earlier run that stopped before applying it)',
      'would upload the rdnbrd agent to /usr/local/lib/cldemo/rdnbrd-0123',
      'would reload rdnbrd',
    ]);
    const server: Change[] = [{ type: 'network', action: 'recreate', name: 'n' }, { type: 'container', action: 'remove', name: 'old', stale: true }, { type: 'container', action: 'start', name: 'c' }];
    expect(wordChanges(server)).toEqual(['recreated network n', 'removed container old (not in the topology)', 'started container c']);
    expect(wordChanges(server, true)).toEqual(['would recreate network n', 'would remove container old (not in the topology)', 'would start container c']);
    expect(wordChanges([{ type: 'restore', path: '/etc/frr/frr.conf' }, { type: 'agent', action: 'stop' }])).toEqual(['restored /etc/frr/frr.conf', 'rdnbrd stopped']);
  });
});

describe('summaries', () => {
  test("a leaf's and a server's up", () => {
    const leaf: Change[] = [...installed('/etc/network/interfaces', '/etc/frr/frr.conf', '/etc/frr/daemons', '/etc/rdnbrd.conf'), ifreload, frrReload, { type: 'agent', action: 'upload', dir: '/x' }, { type: 'agent', action: 'start' }];
    expect(summarizeChanges(leaf)).toBe('4 files, ifreload, FRR reloaded, agent uploaded, agent started');
    expect(summarizeChanges([...installed('/etc/network/interfaces'), ifreload, { type: 'network', action: 'create', name: 'server01_eth1' }, ...containers('create', 'a', 'b', 'c')])).toBe('1 file, ifreload, network created, 3 containers created');
    expect(summarizeChanges([...installed('/etc/frr/frr.conf'), { type: 'network', action: 'create', name: 'x' }, ...containers('create', 'y'), { type: 'agent', action: 'start' }], true, 100)).toBe(
      'would install 1 file, would create 1 network, would create 1 container, would start rdnbrd',
    );
    expect(summarizeChanges([...containers('remove', 'a', 'b'), { type: 'network', action: 'remove', name: 'n' }, { type: 'agent', action: 'stop' }])).toBe('2 containers removed, network removed, agent stopped');
  });

  test("a platform's own apply step is said in its own words", () => {
    const commit: Change = { type: 'apply', step: 'commit', command: 'boxctl commit --confirm', summary: 'committed' };
    expect(summarizeChanges([...installed('/etc/box/bgpd.conf', '/etc/box/zebra.conf'), commit])).toBe('2 files, committed');
  });

  test('256 containers still make one line that fits', () => {
    expect(summarizeChanges(containers('create', ...Array.from({ length: 256 }, (_, i) => `s-${i}`)))).toBe('256 containers created');
  });

  test('files an earlier run left unapplied are counted, so what follows them still shows', () => {
    const pending: Change[] = [{ type: 'apply-pending', path: '/etc/rdnbrd.conf' }, { type: 'apply-pending', path: '/etc/frr/frr.conf' }];
    expect(summarizeChanges([pending[0], { type: 'agent', action: 'reload' }], true)).toBe('would apply 1 unapplied file, would reload rdnbrd');
    expect(summarizeChanges([...pending, frrReload, { type: 'agent', action: 'reload' }])).toBe('2 unapplied files applied, FRR reloaded, agent reloaded');
  });

  test('a long line is cut with a pointer to --verbose', () => {
    const line = summarizeChanges([...installed('/a'), ...containers('create', 'a'), { type: 'network', action: 'recreate', name: 'n' }, ...containers('remove', 'b'), { type: 'agent', action: 'upload', dir: '/x' }, { type: 'agent', action: 'restart' }], false, 60);
    expect(line).toBe('1 file, container created, network ... (--verbose)');
    expect(fit('short', 80)).toBe('short');
  });
});
