/**
 * Expected next hops on shapes beyond the default: a leaf-to-leaf link, parallel links to
 * one spine, 3 spines, a leaf without servers that carries traffic, spines sharing one ASN
 * or not. Every expectation here is worked out by hand from BGP's rules (shortest AS path,
 * multipath-relax, no path through one's own ASN, one next hop per unnumbered session),
 * never from the code under test.
 */
import { readFileSync } from 'node:fs';
import { loadPlanSync } from '../../src/providers.js';
import { checkPassed, checkSwitch, expectedPath } from '../../src/fabric/observe/routes.js';
import type { FrrRib, SwitchRoutes, TableRoute } from '../../src/platforms/index.js';
import { judge, parseSwitchStatus } from '../../src/fabric/observe/status.js';
import type { Plan, SwitchPlan } from '../../src/topology/types.js';

const LEAF_LEAF = 'test/fixtures/hostile/shape-leaf-leaf-distinct-asn-ok.yaml';

/** switch -> origin leaf -> the switch's ports toward that leaf's containers */
type Hops = Record<string, Record<string, string[]>>;

function topology(name: string, switches: string, servers: string, links: string[]): Plan {
  const text = [
    `name: ${name}`,
    'provider: lab',
    'subnet: 172.16.1.0/24',
    'gateway: 172.16.1.1',
    'switches:',
    switches,
    'servers:',
    servers,
    'links:',
    ...links.map((l) => `  - [${l}]`),
    '',
  ].join('\n');
  return loadPlanSync(`${name}.yaml`, text);
}

const server = (n: number, leaf: string, ips: string[]) => `  server0${n}: { uplink: { interface: eth1, address: 172.16.1.${250 + n}, leaf: ${leaf}, port: swp1 }, containers: [${ips.join(', ')}] }`;

/** What a switch of a healthy fabric holds: its own containers in the agent's table, the others by BGP over `hops`. */
function healthy(plan: Plan, sw: SwitchPlan, hops: Hops): SwitchRoutes {
  const rib: FrrRib = {};
  const table: TableRoute[] = [];
  for (const c of plan.containers) {
    if (c.leaf === sw.name) table.push({ dst: c.ip, dev: c.leafPort });
    else rib[`${c.ip}/32`] = bgp(`${c.ip}/32`, hops[sw.name][c.leaf]);
  }
  return { rib, table };
}

function bgp(prefix: string, ports: string[]): FrrRib[string] {
  return [{ prefix, protocol: 'bgp', selected: true, installed: true, nexthops: ports.map((p) => ({ afi: 'ipv6', interfaceName: p, active: true, fib: true })) }];
}

/** Every (switch, container) pair's expected ports, as [switch, ip, ports] rows. */
function rows(plan: Plan, hops: Hops): Array<[string, string, string[]]> {
  return plan.switches.flatMap((sw) => plan.containers.filter((c) => c.leaf !== sw.name).map((c): [string, string, string[]] => [sw.name, c.ip, hops[sw.name][c.leaf]]));
}

function expectedRows(plan: Plan): Array<[string, string, string[]]> {
  return plan.switches.flatMap((sw) => plan.containers.filter((c) => c.leaf !== sw.name).map((c): [string, string, string[]] => [sw.name, c.ip, expectedPath(plan, sw, c).interfaces]));
}

const SPINES = ['swp51', 'swp52'];

describe('a leaf-to-leaf link (the default fabric plus leaf01:swp60 - leaf02:swp60)', () => {
  const plan = loadPlanSync(LEAF_LEAF);
  const byLeaf = (x: string[]) => ({ leaf01: x, leaf02: x, leaf03: x, leaf04: x });
  const hops: Hops = {
    spine01: { leaf01: ['swp1'], leaf02: ['swp2'], leaf03: ['swp3'], leaf04: ['swp4'] },
    spine02: { leaf01: ['swp1'], leaf02: ['swp2'], leaf03: ['swp3'], leaf04: ['swp4'] },
    // one AS hop over the direct link beats two through a spine
    leaf01: { ...byLeaf(SPINES), leaf02: ['swp60'] },
    leaf02: { ...byLeaf(SPINES), leaf01: ['swp60'] },
    leaf03: byLeaf(SPINES),
    leaf04: byLeaf(SPINES),
  };

  test('leaf02 reaches leaf01 over the direct link only; the rest still ECMP over both spines', () => {
    expect(expectedRows(plan)).toEqual(rows(plan, hops));
  });

  test.each(plan.switches.map((s) => s.name))('%s of the healthy fabric passes verify-routes', (name) => {
    const sw = plan.switches.find((s) => s.name === name)!;
    const check = checkSwitch(plan, sw, healthy(plan, sw, hops));
    expect(check).toMatchObject({ missing: [], unexpected: [], wrong_nexthop: [] });
    expect(check.present).toHaveLength(plan.containers.length);
  });

  test('leaf02 still going through the spines for leaf01 is a wrong next hop', () => {
    const sw = plan.switches.find((s) => s.name === 'leaf02')!;
    const routes = healthy(plan, sw, hops);
    routes.rib['172.16.1.12/32'] = bgp('172.16.1.12/32', SPINES);
    const check = checkSwitch(plan, sw, routes);
    expect(check.wrong_nexthop).toEqual([{ prefix: '172.16.1.12/32', expected: ['swp60'], actual: SPINES }]);
    expect(checkPassed(check, false)).toBe(false);
  });

  test('status calls the healthy fabric ok', () => {
    const status = (sw: SwitchPlan) => {
      const routes = healthy(plan, sw, hops);
      const peers = Object.fromEntries(sw.fabricPorts.map((p) => [p.port, { hostname: p.peer, state: 'Established' }]));
      const neigh = plan.containers.filter((c) => c.leaf === sw.name).map((c) => ({ dst: c.ip, dev: c.leafPort, state: ['REACHABLE'] }));
      const agent = sw.role === 'leaf' ? 'running 4242 node /usr/local/lib/cldemo/rdnbrd-0123456789abcdef/main.js' : '';
      const text = [JSON.stringify({ ipv4Unicast: { peers } }), `${JSON.stringify(routes.rib)}\n@@cldemo-table@@\n${routes.table.length ? JSON.stringify(routes.table) : ''}`, JSON.stringify(neigh), agent].join('\n@@cldemo-status@@\n');
      return parseSwitchStatus(text, sw);
    };
    const switches = plan.switches.map((sw) => ({ node: sw.name, ok: true, value: status(sw) }));
    const servers = plan.servers.map((s) => ({ node: s.name, ok: true, value: new Map(s.containers.map((c) => [c.name, 'running'])) }));
    const r = judge(plan, switches, servers, { started: 0, now: 1 });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });
});

describe('3 spines sharing one ASN, parallel links, a leaf without servers that carries traffic', () => {
  // leaf01 has two links to spine01; leaf03 has no servers; leaf04 reaches spine03 and, over
  // a leaf-to-leaf link, leaf03, and nothing else
  const plan = topology(
    'paths-b',
    [
      '  spine01: { role: spine, asn: 65100, loopback: 10.0.0.21 }',
      '  spine02: { role: spine, asn: 65100, loopback: 10.0.0.22 }',
      '  spine03: { role: spine, asn: 65100, loopback: 10.0.0.23 }',
      '  leaf01: { role: leaf, asn: 65001, loopback: 10.0.0.11 }',
      '  leaf02: { role: leaf, asn: 65002, loopback: 10.0.0.12 }',
      '  leaf03: { role: leaf, asn: 65003, loopback: 10.0.0.13 }',
      '  leaf04: { role: leaf, asn: 65004, loopback: 10.0.0.14 }',
    ].join('\n'),
    [server(1, 'leaf01', ['172.16.1.11', '172.16.1.12']), server(2, 'leaf02', ['172.16.1.21']), server(4, 'leaf04', ['172.16.1.41'])].join('\n'),
    [
      'spine01:swp1, leaf01:swp51',
      'spine01:swp11, leaf01:swp54',
      'spine02:swp1, leaf01:swp52',
      'spine03:swp1, leaf01:swp53',
      'spine01:swp2, leaf02:swp51',
      'spine02:swp2, leaf02:swp52',
      'spine03:swp2, leaf02:swp53',
      'spine01:swp3, leaf03:swp51',
      'spine02:swp3, leaf03:swp52',
      'spine03:swp3, leaf03:swp53',
      'spine03:swp4, leaf04:swp51',
      'leaf03:swp60, leaf04:swp60',
    ],
  );
  const hops: Hops = {
    // both links to leaf01 are sessions of their own: two next hops
    spine01: { leaf01: ['swp1', 'swp11'], leaf02: ['swp2'], leaf04: ['swp3'] },
    // no link to leaf04: through leaf03 (65003 65004), never through spine03 (its own ASN)
    spine02: { leaf01: ['swp1'], leaf02: ['swp2'], leaf04: ['swp3'] },
    spine03: { leaf01: ['swp1'], leaf02: ['swp2'], leaf04: ['swp4'] },
    // to leaf04: spine03 is two AS hops away; spine01 and spine02 three (through leaf03)
    leaf01: { leaf02: ['swp51', 'swp52', 'swp53', 'swp54'], leaf04: ['swp53'] },
    leaf02: { leaf01: ['swp51', 'swp52', 'swp53'], leaf04: ['swp53'] },
    leaf03: { leaf01: ['swp51', 'swp52', 'swp53'], leaf02: ['swp51', 'swp52', 'swp53'], leaf04: ['swp60'] },
    // to leaf01: spine03 (65100 65001) beats leaf03 (65003 65100 65001)
    leaf04: { leaf01: ['swp51'], leaf02: ['swp51'] },
  };

  test('every switch expects exactly the neighbors on a shortest AS path', () => {
    expect(expectedRows(plan)).toEqual(rows(plan, hops));
  });

  test.each(plan.switches.map((s) => s.name))('%s of the healthy fabric passes', (name) => {
    const sw = plan.switches.find((s) => s.name === name)!;
    expect(checkPassed(checkSwitch(plan, sw, healthy(plan, sw, hops)), false)).toBe(true);
  });

  test('one of two parallel links missing from the route is caught', () => {
    const sw = plan.switches.find((s) => s.name === 'spine01')!;
    const routes = healthy(plan, sw, hops);
    routes.rib['172.16.1.11/32'] = bgp('172.16.1.11/32', ['swp1']);
    expect(checkSwitch(plan, sw, routes).wrong_nexthop).toEqual([{ prefix: '172.16.1.11/32', expected: ['swp1', 'swp11'], actual: ['swp1'] }]);
  });
});

describe('spines with one ASN or with their own: the only way round goes through a leaf and a spine', () => {
  // leaf01 hangs off spine01 only; spine02 reaches it only through leaf02, whose path runs through spine01
  const shape = (spine02Asn: number) =>
    topology(
      `paths-c${spine02Asn}`,
      [
        '  spine01: { role: spine, asn: 65100, loopback: 10.0.0.21 }',
        `  spine02: { role: spine, asn: ${spine02Asn}, loopback: 10.0.0.22 }`,
        '  leaf01: { role: leaf, asn: 65001, loopback: 10.0.0.11 }',
        '  leaf02: { role: leaf, asn: 65002, loopback: 10.0.0.12 }',
      ].join('\n'),
      [server(1, 'leaf01', ['172.16.1.11']), server(2, 'leaf02', ['172.16.1.21'])].join('\n'),
      ['spine01:swp1, leaf01:swp51', 'spine01:swp2, leaf02:swp51', 'spine02:swp2, leaf02:swp52'],
    );
  const c11 = (plan: Plan) => plan.containers.find((c) => c.ip === '172.16.1.11')!;
  const spine02 = (plan: Plan) => plan.switches.find((s) => s.name === 'spine02')!;

  test('sharing spine01\'s ASN, spine02 refuses the path (65002 65100 65001): no BGP path at all', () => {
    const plan = shape(65100);
    expect(expectedPath(plan, spine02(plan), c11(plan))).toEqual({ where: 'bgp', interfaces: [] });
  });

  test('with an ASN of its own, spine02 takes it through leaf02', () => {
    const plan = shape(65200);
    expect(expectedPath(plan, spine02(plan), c11(plan))).toEqual({ where: 'bgp', interfaces: ['swp2'] });
  });

  test('two spines with their own ASNs are two next hops of equal length (multipath-relax)', () => {
    const plan = loadPlanSync('relax.yaml', readFileSync(LEAF_LEAF, 'utf8').replace('spine02: { role: spine, asn: 65020', 'spine02: { role: spine, asn: 65021'));
    const leaf03 = plan.switches.find((s) => s.name === 'leaf03')!;
    const leaf02 = plan.switches.find((s) => s.name === 'leaf02')!;
    expect(expectedPath(plan, leaf03, c11(plan))).toEqual({ where: 'bgp', interfaces: SPINES });
    expect(expectedPath(plan, leaf02, c11(plan))).toEqual({ where: 'bgp', interfaces: ['swp60'] });
  });
});
