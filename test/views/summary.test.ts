/** Summaries: one short line per node, whatever the number of changes. */
import { fit, summarizeChanges } from '../../src/summary.js';

describe('summaries', () => {
  test("a leaf's and a server's up, as the issue shows them", () => {
    expect(
      summarizeChanges([
        'installed /etc/network/interfaces',
        'installed /etc/frr/frr.conf',
        'installed /etc/frr/daemons',
        'installed /etc/rdnbrd.conf',
        'ifreload -a',
        '/usr/lib/frr/frr-reload.py --reload /etc/frr/frr.conf',
        'uploaded the rdnbrd agent to /usr/local/lib/cldemo/rdnbrd-0123',
        'rdnbrd started',
      ]),
    ).toBe('4 files, ifreload, FRR reloaded, agent uploaded, agent started');
    expect(summarizeChanges(['installed /etc/network/interfaces', 'ifreload -a', 'created network server01_eth1', 'created container a', 'created container b', 'created container c'])).toBe(
      '1 file, ifreload, network created, 3 containers created',
    );
    expect(summarizeChanges(['would install /etc/frr/frr.conf', 'would create network x', 'would create container y'])).toBe('would install 1 file, would create 1 network, would create 1 container');
    expect(summarizeChanges(['removed container a', 'removed container b', 'removed network n', 'rdnbrd stopped'])).toBe('2 containers removed, network removed, agent stopped');
  });

  test('256 containers still make one line that fits', () => {
    const line = summarizeChanges(Array.from({ length: 256 }, (_, i) => `created container s-${i}`));
    expect(line).toBe('256 containers created');
  });

  test('what it does not know is kept, and a long line is cut with a pointer to --verbose', () => {
    const line = summarizeChanges(['something unusual happened on this node that nobody expected to see here at all today', 'and another long thing']);
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/^something unusual .* \.\.\. \(--verbose\)$/);
    expect(fit('short', 80)).toBe('short');
  });
});
