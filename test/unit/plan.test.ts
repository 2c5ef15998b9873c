/** The planner is pure: the default topology's plan is pinned as a golden file. */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadPlanSync } from '../../src/providers.js';
import { auxAddresses } from '../../src/topology/plan.js';

const golden = 'test/fixtures/plan-default.json';

/** The plan as a user gets it: the lab's keys under the default state directory, not the tests' own. */
function userPlan(file = 'topology.yaml') {
  const tests = process.env.CLDEMO_STATE_DIR;
  delete process.env.CLDEMO_STATE_DIR;
  try {
    return loadPlanSync(file);
  } finally {
    if (tests !== undefined) process.env.CLDEMO_STATE_DIR = tests;
  }
}

describe('plan', () => {
  const plan = userPlan();

  it('matches the golden plan of the default topology', () => {
    const actual = `${JSON.stringify({ ...plan, file: 'topology.yaml' }, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, actual);
    expect(actual).toBe(readFileSync(golden, 'utf8'));
  });

  it('reproduces the original demo', () => {
    expect(plan.switches.map((s) => `${s.name}/${s.asn}/${s.loopback}`)).toEqual([
      'spine01/65020/10.0.0.21', 'spine02/65020/10.0.0.22',
      'leaf01/65011/10.0.0.11', 'leaf02/65012/10.0.0.12', 'leaf03/65013/10.0.0.13', 'leaf04/65014/10.0.0.14',
    ]);
    expect(plan.containers).toHaveLength(12);
    for (const s of plan.switches) expect(s.expectedRoutes).toHaveLength(12);
    const leaf02 = plan.switches.find((s) => s.name === 'leaf02')!;
    expect(leaf02.fabricPorts.map((p) => `${p.port}>${p.peer}:${p.peerPort}`)).toEqual(['swp51>spine01:swp2', 'swp52>spine02:swp2']);
    expect(leaf02.serverPorts).toEqual([{ port: 'swp2', server: 'server02', serverInterface: 'eth2', mtu: 9216, containerIps: ['172.16.1.21', '172.16.1.22', '172.16.1.23'] }]);
    const s2 = plan.servers.find((s) => s.name === 'server02')!;
    expect(s2.network.name).toBe('server02_eth2');
    expect(s2.containers.map((c) => c.name)).toEqual(['server02-172.16.1.21', 'server02-172.16.1.22', 'server02-172.16.1.23']);
    // Docker's IPAM on server02 may never hand out another server's or container's address
    const aux = Object.values(auxAddresses(plan, 'server02'));
    expect(aux).toEqual(expect.arrayContaining(['172.16.1.11', '172.16.1.251', '172.16.1.43']));
    expect(aux).not.toContain('172.16.1.21');
  });

  it('gives lab nodes distinct management addresses from the lab subnet', () => {
    const hosts = [...plan.switches, ...plan.servers].map((n) => n.mgmt.host);
    expect(new Set(hosts).size).toBe(10);
    expect(hosts[0]).toBe('192.168.200.10');
    expect(plan.switches[0].mgmt.knownHosts).toMatch(/cldemo\/ssh\/known_hosts$/);
  });
});

describe('plan, dual stack', () => {
  const golden6 = 'test/fixtures/plan-dual-stack.json';
  const plan = userPlan('examples/dual-stack.yaml');

  it('matches the golden plan of the dual-stack example', () => {
    const actual = `${JSON.stringify({ ...plan, file: 'examples/dual-stack.yaml' }, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden6, actual);
    expect(actual).toBe(readFileSync(golden6, 'utf8'));
  });

  it('gives each container, server, leaf port and switch its IPv6 side, and the IPv4 side unchanged', () => {
    const v4 = userPlan();
    expect(plan.containers.map((c) => c.ip)).toEqual(v4.containers.map((c) => c.ip));
    expect(plan.containers.map((c) => c.ip6)).toEqual(v4.containers.map((c) => `2001:db8:1::${c.ip.split('.')[3]}`));
    const leaf02 = plan.switches.find((s) => s.name === 'leaf02')!;
    expect(leaf02.loopback6).toBe('2001:db8:ffff:0:10::12');
    expect(leaf02.serverPorts[0].containerIps6).toEqual(['2001:db8:1::21', '2001:db8:1::22', '2001:db8:1::23']);
    expect(leaf02.expectedRoutes6).toHaveLength(12);
    const s2 = plan.servers.find((s) => s.name === 'server02')!;
    expect(s2.uplink.address6).toBe('2001:db8:1::252');
    expect(s2.network).toMatchObject({ subnet6: '2001:db8:1::/64', gateway6: '2001:db8:1::1' });
    // an IPv4-only plan has no IPv6 key at all
    expect(JSON.stringify(v4)).not.toMatch(/[a-z]6":|"ipv6"/);
  });
});
