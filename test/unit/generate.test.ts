import { loadPlanSync } from '../../src/providers.js';
import { generateTopology, requiredPrefix } from '../../src/topology/generate.js';

describe('generate', () => {
  it.each([
    [2, 4, 1, 3],
    [2, 8, 1, 32],
    [2, 8, 3, 1],
    [4, 32, 2, 16],
    [1, 1, 1, 0],
  ])('spines %i, leaves %i, %i servers per leaf, %i containers each: a valid topology', (spines, leaves, spl, cps) => {
    const plan = loadPlanSync('gen.yaml', generateTopology({ spines, leaves, serversPerLeaf: spl, containersPerServer: cps }));
    expect(plan.switches.filter((s) => s.role === 'spine')).toHaveLength(spines);
    expect(plan.servers).toHaveLength(leaves * spl);
    expect(plan.containers).toHaveLength(leaves * spl * cps);
    expect(new Set(plan.containers.map((c) => c.ip)).size).toBe(plan.containers.length);
    for (const l of plan.switches.filter((s) => s.role === 'leaf')) expect(l.fabricPorts).toHaveLength(spines);
  });

  it('grows the subnet past a /24 when the containers need it', () => {
    expect(requiredPrefix(200)).toBe(24);
    expect(requiredPrefix(264)).toBe(23);
    expect(requiredPrefix(4000)).toBe(20);
    expect(loadPlanSync('g.yaml', generateTopology({ spines: 2, leaves: 16, serversPerLeaf: 2, containersPerServer: 100 })).subnet).toBe('172.16.0.0/20');
  });

  it('refuses a subnet that is too small', () => {
    expect(() => generateTopology({ spines: 2, leaves: 4, serversPerLeaf: 1, containersPerServer: 100, subnet: '10.1.0.0/24' })).toThrow(/usable addresses, 404 needed/);
  });

  it('shapes: per-leaf and per-server counts, gateway anywhere, 4-byte ASNs, timers, uplink name, image lines', () => {
    const plan = loadPlanSync(
      'g.yaml',
      generateTopology({
        spines: 1,
        leaves: 3,
        serversPerLeaf: [3, 0, 1],
        containersPerServer: [2, 1, 0, 3],
        subnet: '10.61.8.0/22',
        gateway: '10.61.8.12',
        spineAsn: 4200000000,
        leafAsn: 4200000001,
        uplink: 'uplink0',
        keepalive: 2,
        holdtime: 6,
        routeTable: 77,
        containerImage: 'cldemo/apache:shape',
      }),
    );
    const leaves = plan.switches.filter((s) => s.role === 'leaf');
    expect(leaves.map((l) => [l.asn, l.serverPorts.map((p) => p.port)])).toEqual([[4200000001, ['swp1', 'swp2', 'swp3']], [4200000002, []], [4200000003, ['swp1']]]);
    expect(plan.servers.map((s) => s.containers.length)).toEqual([2, 1, 0, 3]);
    expect(plan.containers.map((c) => c.ip)).not.toContain('10.61.8.12');
    expect(plan.gateway).toBe('10.61.8.12');
    expect(plan.servers.every((s) => s.uplink.interface === 'uplink0' && s.uplink.prefixLength === 22)).toBe(true);
    expect(plan.redistributeNeighbor).toMatchObject({ keepalive: 2, holdtime: 6, routeTable: 77 });
    expect(plan.containers.filter((c) => c.image === 'cldemo/apache:shape').map((c) => c.server)).toEqual(['server01', 'server02', 'server04']);
  });

  it('refuses counts that do not match, and a gateway outside the subnet', () => {
    expect(() => generateTopology({ spines: 1, leaves: 2, serversPerLeaf: [1], containersPerServer: 1 })).toThrow(/1 counts given for 2 leaves/);
    expect(() => generateTopology({ spines: 1, leaves: 1, serversPerLeaf: 1, containersPerServer: 1, gateway: '10.0.0.1' })).toThrow(/not a host address of 172.16.0.0\/24/);
  });

  it('dual stack: --ipv6-prefix gives every container, server and switch an IPv6 address by the rule, loopbacks apart', () => {
    const plan = loadPlanSync('g.yaml', generateTopology({ spines: 2, leaves: 3, serversPerLeaf: [2, 0, 1], containersPerServer: 3, subnet: '10.61.8.0/22', ipv6Prefix: '2001:db8:61::/64' }));
    expect(plan.ipv6).toEqual({ prefix: '2001:db8:61::/64', prefixLength: 64, gateway: '2001:db8:61::8:1' });
    expect(plan.containers.map((c) => c.ip6)).toEqual(plan.containers.map((c) => `2001:db8:61::${c.ip.split('.').slice(2).join(':')}`));
    expect(plan.servers.map((s) => s.uplink.address6)).toEqual(plan.servers.map((s) => `2001:db8:61::${s.uplink.address.split('.').slice(2).join(':')}`));
    expect(plan.switches.map((s) => s.loopback6)).toEqual(plan.switches.map((s) => `2001:db8:61:ffff:${s.loopback.split('.').join(':')}`));
    for (const s of plan.switches) expect(s.expectedRoutes6).toHaveLength(9);
    // 256 containers need a /23: the rule's two groups still fit a /96
    const big = loadPlanSync('b.yaml', generateTopology({ spines: 2, leaves: 8, serversPerLeaf: 1, containersPerServer: 32, ipv6Prefix: 'fd00:1::/96', ipv6Loopbacks: 'fd00:ff::/64' }));
    expect(new Set(big.containers.map((c) => c.ip6)).size).toBe(256);
    expect(big.switches[0].loopback6).toBe('fd00:ff::10:0:1:1');
  });

  it('dual stack: refuses a prefix the rule cannot derive into, a special one, and loopbacks without a prefix', () => {
    const gen = (o: object) => () => generateTopology({ spines: 1, leaves: 1, serversPerLeaf: 1, containersPerServer: 1, ...o });
    expect(gen({ ipv6Prefix: '2001:db8::/48' })).toThrow(/--ipv6-prefix 2001:db8::\/48: use a \/64 to \/112/);
    expect(gen({ ipv6Prefix: '2001:db8::/120', subnet: '10.1.0.0/16' })).toThrow(/use a \/64 to \/96/);
    expect(gen({ ipv6Prefix: 'fe80::/64' })).toThrow(/link-local/);
    expect(gen({ ipv6Prefix: '2001:db8::1/64' })).toThrow(/host bits zero/);
    expect(gen({ ipv6Loopbacks: 'fd00::/64' })).toThrow(/--ipv6-loopbacks needs --ipv6-prefix/);
    expect(gen({ ipv6Prefix: '2001:db8::/64', ipv6Loopbacks: '2001:db8::/56' })).toThrow(/overlaps/);
  });
});
