/**
 * `cldemo generate` promises a valid topology: whatever flags it is given, it either writes one
 * that `validate` accepts (exit 0), or refuses the flags in one line (exit 2). Run in-process
 * through the CLI (commander, the flag parsing, generate), with seeded random flags, ordinary
 * and hostile. FUZZ_SEED and FUZZ_RUNS override the seed and the number of runs.
 */
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { main } from '../../src/cli.js';
import { loadPlanSync } from '../../src/providers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.CLDEMO_TEST_UNIT === '1' ? 150 : 600));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((c: unknown) => out.push(String(c)) > 0);
  const ewrite = jest.spyOn(process.stderr, 'write').mockImplementation((c: unknown) => err.push(String(c)) > 0);
  try {
    process.exitCode = undefined;
    const code = await main(['node', 'cldemo', ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    write.mockRestore();
    ewrite.mockRestore();
    process.exitCode = undefined;
  }
}

const count = (max: number) => fc.integer({ min: 0, max }).map(String);
const list = (n: number, max: number) => fc.array(fc.integer({ min: 0, max }), { minLength: n, maxLength: n }).map((xs) => xs.join(','));
const odd = fc.constantFrom('', ' ', '-1', '0', '1.5', 'x', '1e3', '99999999999', '__proto__', '\u0000', 'a\nerror: forged');

/** A value for a flag: left out half the time; given, usually a good one, now and then a bad or hostile one. */
const maybe = (good: string[], bad: string[] = []) =>
  fc.option(fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 8 }, { arbitrary: fc.constantFrom(...bad, '__proto__'), weight: 1 }, { arbitrary: odd, weight: 1 }), {
    nil: undefined,
    freq: 2,
  });
const numbers = (min: number, max: number) => Array.from({ length: max - min + 1 }, (_, i) => String(min + i));

/** A subnet and a gateway that belong together, most of the time. */
const addressing = fc.oneof(
  fc.constant({ subnet: undefined, gateway: undefined }),
  fc.constantFrom(
    { subnet: '10.9.0.0/24', gateway: '10.9.0.1' },
    { subnet: '10.9.0.0/24', gateway: '10.9.0.254' },
    { subnet: '10.9.0.0/24', gateway: '10.9.0.14' },
    { subnet: '10.9.0.0/22', gateway: '10.9.3.254' },
    { subnet: '10.9.0.0/22', gateway: undefined },
    { subnet: '10.9.0.0/28', gateway: undefined },
    { subnet: '10.9.0.0/30', gateway: undefined },
    { subnet: '192.168.0.0/16', gateway: '192.168.255.1' },
    { subnet: '172.16.1.0/24', gateway: '172.16.1.1' },
    { subnet: '10.9.0.0/24', gateway: '10.9.0.255' },
    { subnet: '10.9.0.1/24', gateway: undefined },
    { subnet: '224.0.0.0/24', gateway: undefined },
    { subnet: '0.0.0.0/0', gateway: undefined },
  ),
);

/** Dual stack or not: a prefix with or without loopbacks, now and then loopbacks alone. */
const ipv6 = fc.oneof(
  { arbitrary: fc.constant({ prefix: undefined, loopbacks: undefined }), weight: 3 },
  {
    arbitrary: fc.record({
      prefix: fc.constantFrom('2001:db8:9::/64', 'fd00:9::/96', '2001:db8:9::/112', '2001:db8::/48', 'fe80::/64'),
      loopbacks: fc.option(fc.constantFrom('2001:db8:ff::/64', '2001:db8:9::/64', 'fd00:ff::/64'), { nil: undefined }),
    }),
    weight: 2,
  },
  { arbitrary: fc.constant({ prefix: undefined, loopbacks: '2001:db8:ff::/64' }), weight: 1 },
);

const flags = fc
  .record({ spines: fc.integer({ min: 1, max: 4 }), leaves: fc.integer({ min: 1, max: 5 }), addressing, ipv6 })
  .chain(({ spines, leaves, addressing: a, ipv6: v6 }) =>
    fc.record({
      spines: fc.constant(String(spines)),
      leaves: fc.constant(String(leaves)),
      'servers-per-leaf': fc.oneof(count(3), list(leaves, 3)),
      'containers-per-server': count(4),
      subnet: fc.constant(a.subnet),
      gateway: fc.constant(a.gateway),
      name: maybe(['gen', 'a-b', 'cldemo', 'x1'], ['x'.repeat(60), 'has space', 'ünï', 'UPPER', '-lead', 'trail-', 'a.b']),
      'mgmt-subnet': maybe(['192.168.9.0/24', '192.168.9.0/26', '10.200.0.0/24'], ['192.168.9.0/30', '10.9.0.0/24', '127.0.0.0/24', '192.168.9.1/24', '172.16.0.0/24']),
      'spine-asn': maybe(['65000', '4200000000', '64512'], ['65001', '1', '4294967294', '23456', '65535', '0']),
      'leaf-asn': maybe(['65001', '64601', '4200000001'], ['65000', '4294967290', '4294967294', '64512', '65534']),
      uplink: maybe(['eth1', 'uplink0', 'enp1s0'], ['lo', 'eth0', 'x'.repeat(16), 'a b', 'a/b', 'swp1']),
      keepalive: maybe(numbers(1, 5), ['30', '3600', '3601']),
      holdtime: maybe(numbers(15, 30), ['1', '2', '3', '86400', '86401']),
      'route-table': maybe(numbers(2, 20), ['1', '253', '254', '255', '256']),
      'container-image': maybe(['cldemo/apache:shape', 'registry:5000/x/y:1'], ['UPPER', 'a b', '']),
      'ipv6-prefix': fc.constant(v6.prefix),
      'ipv6-loopbacks': fc.constant(v6.loopbacks),
    }),
  );

function argv(f: Record<string, string | undefined>): string[] {
  return ['generate', ...Object.entries(f).flatMap(([k, v]) => (v === undefined ? [] : [`--${k}`, v]))];
}

test('every topology generate writes (exit 0) validates; every refusal is exit 2 in one line, never a crash', async () => {
  let written = 0;
  await fc.assert(
    fc.asyncProperty(flags, async (f) => {
      const args = argv(f);
      const r = await cli(args);
      if (r.code === 0) {
        written += 1;
        expect(r.stderr).toBe('');
        expect(() => loadPlanSync('generated.yaml', r.stdout)).not.toThrow();
        return;
      }
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: /);
    }),
    { seed: SEED, numRuns: RUNS },
  );
  // the flags are mostly sensible: a good share of runs must write a topology, or this proves little
  expect(written).toBeGreaterThan(RUNS / 5);
});

test('--keepalive alone: the holdtime follows it (3 x keepalive); a holdtime below that is refused naming both flags', async () => {
  const base = ['generate', '--spines', '1', '--leaves', '1', '--servers-per-leaf', '1', '--containers-per-server', '1'];
  const five = await cli([...base, '--keepalive', '5']);
  expect(five.code).toBe(0);
  expect(loadPlanSync('g.yaml', five.stdout).redistributeNeighbor).toMatchObject({ keepalive: 5, holdtime: 15 });
  const low = await cli([...base, '--keepalive', '5', '--holdtime', '3']);
  expect(low.code).toBe(2);
  expect(low.stderr).toBe('error: --holdtime 3 is less than 3 x --keepalive 5 (15): a neighbor must miss three keepalives before it is dropped\n');
  const ok = await cli([...base, '--keepalive', '2', '--holdtime', '6']);
  expect(loadPlanSync('g.yaml', ok.stdout).redistributeNeighbor).toMatchObject({ keepalive: 2, holdtime: 6 });
});
