/** Pure parts of the lab: resource names and bounded concurrency. */
import { bridgeName, labId, mgmtVethName, netnsName, nodePaths } from '../../src/lab/names.js';
import { eachLimit } from '../../src/concurrency.js';

describe('names', () => {
  test('host interface names fit the kernel limit of 15 characters, for any topology name', () => {
    for (const name of ['cldemo', 'a-very-long-topology-name-for-a-big-fabric']) {
      expect(bridgeName(name).length).toBeLessThanOrEqual(15);
      expect(mgmtVethName(name, 999).length).toBeLessThanOrEqual(15);
    }
  });

  test('two labs never share a namespace, a bridge or a management veth', () => {
    expect(labId('cldemo')).not.toBe(labId('labsmall'));
    expect(bridgeName('cldemo')).not.toBe(bridgeName('labsmall'));
    expect(mgmtVethName('cldemo', 0)).not.toBe(mgmtVethName('labsmall', 0));
    expect(netnsName('cldemo', 'leaf01')).not.toBe(netnsName('labsmall', 'leaf01'));
  });

  test('node paths live under the lab state directory', () => {
    const saved = process.env.CLDEMO_STATE_DIR;
    process.env.CLDEMO_STATE_DIR = '/srv/state';
    try {
      expect(nodePaths('cldemo', 'leaf01')).toEqual({
        netns: 'cldemo-cldemo-leaf01',
        netnsFile: '/run/netns/cldemo-cldemo-leaf01',
        mntFile: '/srv/state/cldemo/ns/leaf01.mnt',
        utsFile: '/srv/state/cldemo/ns/leaf01.uts',
        dir: '/srv/state/cldemo/nodes/leaf01',
      });
    } finally {
      if (saved === undefined) delete process.env.CLDEMO_STATE_DIR;
      else process.env.CLDEMO_STATE_DIR = saved;
    }
  });
});

describe('eachLimit', () => {
  test('never runs more than the limit at once, runs everything, and returns every failure', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    const errors = await eachLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      seen.push(n);
      running--;
      if (n % 3 === 0) throw new Error(`fail ${n}`);
    });
    expect(peak).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(['fail 3', 'fail 6']);
  });
});
