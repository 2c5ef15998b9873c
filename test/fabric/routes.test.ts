import { readFileSync } from 'node:fs';
import { loadPlanSync } from '../../src/providers.js';
import { checkAbsent, checkPassed, checkSwitch, expectedPath } from '../../src/fabric/observe/routes.js';
import { switchPlatform, type FrrRib, type TableRoute } from '../../src/platforms/index.js';

const { command: routesCommand, parse: parseRoutes } = switchPlatform('frr').show.routes;
import type { Plan } from '../../src/topology/types.js';

const plan: Plan = loadPlanSync('topology.yaml');
const sw = (name: string) => plan.switches.find((s) => s.name === name)!;

/** A BGP route as FRR 8.4 prints it in `show ip route json`, next hops over IPv6 link-locals. */
function bgp(prefix: string, ports: string[]): FrrRib[string] {
  return [
    {
      prefix,
      protocol: 'bgp',
      selected: true,
      installed: true,
      nexthops: ports.map((p, i) => ({ flags: 3, fib: true, ip: `fe80::${i + 1}`, afi: 'ipv6', interfaceName: p, active: true, weight: 1 })),
    } as FrrRib[string][number],
  ];
}

/** What a switch holds when the fabric is right: its own containers in table 10, the rest from BGP. */
function healthy(name: string): { rib: FrrRib; table: TableRoute[] } {
  const s = sw(name);
  const rib: FrrRib = {};
  const table: TableRoute[] = [];
  for (const c of plan.containers) {
    const want = expectedPath(plan, s, c);
    if (want.where === 'table') {
      table.push({ dst: c.ip, dev: c.leafPort });
      rib[`${c.ip}/32`] = [{ prefix: `${c.ip}/32`, protocol: 'table', selected: true, installed: true, nexthops: [{ interfaceName: c.leafPort, active: true }] }];
    } else rib[`${c.ip}/32`] = bgp(`${c.ip}/32`, want.interfaces);
  }
  return { rib, table };
}

describe('route comparison', () => {
  test('expected paths: own leaf via the server port, other leaves ECMP via both spines, spines via the leaf', () => {
    const c11 = plan.containers.find((c) => c.ip === '172.16.1.11')!;
    expect(expectedPath(plan, sw('leaf01'), c11)).toEqual({ where: 'table', interfaces: ['swp1'] });
    expect(expectedPath(plan, sw('leaf03'), c11)).toEqual({ where: 'bgp', interfaces: ['swp51', 'swp52'] });
    expect(expectedPath(plan, sw('spine02'), c11)).toEqual({ where: 'bgp', interfaces: ['swp1'] });
    expect(expectedPath(plan, sw('spine01'), plan.containers.find((c) => c.ip === '172.16.1.41')!)).toEqual({ where: 'bgp', interfaces: ['swp4'] });
  });

  test.each(plan.switches.map((s) => s.name))('%s: a healthy fabric has all 12 present and nothing else', (name) => {
    const check = checkSwitch(plan, sw(name), healthy(name));
    expect(check).toMatchObject({ missing: [], unexpected: [], wrong_nexthop: [] });
    expect(check.present).toHaveLength(12);
    expect(checkPassed(check, false)).toBe(true);
  });

  test('missing, unexpected, a single path where ECMP is expected, and the wrong port', () => {
    const routes = healthy('leaf02');
    delete routes.rib['172.16.1.13/32'];
    routes.rib['172.16.1.11/32'] = bgp('172.16.1.11/32', ['swp51']);
    routes.rib['172.16.1.99/32'] = bgp('172.16.1.99/32', ['swp51', 'swp52']);
    routes.table = routes.table.map((r) => (r.dst === '172.16.1.22' ? { ...r, dev: 'swp9' } : r));
    routes.table.push({ dst: '172.16.1.98', dev: 'swp2' });
    // the server's own address and routes outside the subnet are fine
    routes.rib['172.16.1.252/32'] = [{ prefix: '172.16.1.252/32', protocol: 'table', selected: true, nexthops: [] }];
    routes.rib['10.0.0.21/32'] = bgp('10.0.0.21/32', ['swp51']);
    const check = checkSwitch(plan, sw('leaf02'), routes);
    expect(check.missing).toEqual(['172.16.1.13/32']);
    expect(check.unexpected).toEqual(['172.16.1.98/32', '172.16.1.99/32']);
    expect(check.wrong_nexthop).toEqual([
      { prefix: '172.16.1.11/32', expected: ['swp51', 'swp52'], actual: ['swp51'] },
      { prefix: '172.16.1.22/32', expected: ['swp2'], actual: ['swp9'] },
    ]);
    expect(check.present).toHaveLength(9);
    expect(checkPassed(check, false)).toBe(false);
  });

  test('inactive next hops and unselected routes do not count', () => {
    const routes = healthy('spine01');
    routes.rib['172.16.1.21/32'][0].selected = false;
    routes.rib['172.16.1.21/32'][0].installed = false;
    routes.rib['172.16.1.31/32'][0].nexthops!.push({ interfaceName: 'swp1', active: false, fib: false });
    const check = checkSwitch(plan, sw('spine01'), routes);
    expect(check.missing).toEqual(['172.16.1.21/32']);
    expect(check.present).toContain('172.16.1.31/32');
  });

  test('absent: what is still held, in the RIB or the kernel table, is reported as present', () => {
    const routes = { rib: { '172.16.1.31/32': bgp('172.16.1.31/32', ['swp51', 'swp52']), '10.0.0.11/32': bgp('10.0.0.11/32', ['swp51']) }, table: [{ dst: '172.16.1.11', dev: 'swp1' }] };
    const check = checkAbsent(plan, sw('leaf01'), routes);
    expect(check.present).toEqual(['172.16.1.11/32', '172.16.1.31/32']);
    expect(checkPassed(check, true)).toBe(false);
    expect(checkPassed(checkAbsent(plan, sw('leaf01'), { rib: {}, table: [] }), true)).toBe(true);
  });

  test('one remote command reads both tables; its output parses', () => {
    expect(routesCommand({})).toBe("vtysh -c 'show ip route json'");
    expect(routesCommand({ routeTable: 10 })).toBe("vtysh -c 'show ip route json'; echo; echo @@cldemo-table@@; ip -j route show table 10 2>/dev/null | grep -v '^\\[$' || true");
    const parsed = parseRoutes(`{"172.16.1.21/32":[{"prefix":"172.16.1.21/32","protocol":"bgp","selected":true,"nexthops":[]}]}\n\n@@cldemo-table@@\n[{"dst":"172.16.1.11","dev":"swp1","scope":"link","flags":[]}]\n`);
    expect(Object.keys(parsed.rib)).toEqual(['172.16.1.21/32']);
    expect(parsed.table).toEqual([{ dst: '172.16.1.11', dev: 'swp1', scope: 'link', flags: [] }]);
    expect(parseRoutes('{}\n@@cldemo-table@@\n').table).toEqual([]);
  });

  test('dual stack: the IPv6 RIB too, and on a leaf the /128s the agent wrote to the main table', () => {
    expect(routesCommand({ ipv6: true })).toBe("vtysh -c 'show ip route json'; echo; echo @@cldemo-table@@; echo; echo; echo @@cldemo-table@@; vtysh -c 'show ipv6 route json'");
    expect(routesCommand({ routeTable: 10, ipv6: true })).toMatch(/; echo; echo @@cldemo-table@@; vtysh -c 'show ipv6 route json'; echo; echo @@cldemo-table@@; ip -6 -j route show table main proto 72 2>\/dev\/null \|\| true$/);
    const spine = parseRoutes('{}\n\n@@cldemo-table@@\n\n\n@@cldemo-table@@\n{"2001:db8:1::11/128":[]}\n');
    expect(spine).toEqual({ rib: {}, table: [], rib6: { '2001:db8:1::11/128': [] }, table6: [] });
    const leaf = parseRoutes('{}\n@@cldemo-table@@\n[]\n@@cldemo-table@@\n{}\n@@cldemo-table@@\n[{"dst":"2001:db8:1::11","dev":"swp1"}]\n');
    expect(leaf.table6).toEqual([{ dst: '2001:db8:1::11', dev: 'swp1' }]);
  });
});

describe('real FRR 8.4 output (captured from the lab)', () => {
  const fixture = (name: string) => parseRoutes(readFileSync(new URL(`./fixtures/${name}.routes.txt`, import.meta.url), 'utf8'));
  test.each(['spine01', 'leaf01', 'leaf03'])('%s holds all 12 /32s the way the topology says', (name) => {
    const check = checkSwitch(plan, sw(name), fixture(name));
    expect(check).toMatchObject({ missing: [], unexpected: [], wrong_nexthop: [] });
    expect(check.present).toHaveLength(12);
  });
});

describe('real FRR 8.4 output, dual stack (captured from a lab of examples/dual-stack.yaml)', () => {
  const dual: Plan = loadPlanSync('examples/dual-stack.yaml');
  const dualSw = (name: string) => dual.switches.find((s) => s.name === name)!;
  const fixture = (name: string) => parseRoutes(readFileSync(new URL(`./fixtures/dual-${name}.routes.txt`, import.meta.url), 'utf8'));

  test.each(['spine01', 'leaf01', 'leaf03'])('%s holds all 12 /32s and all 12 /128s, each by the same next hops, nothing else in the prefix', (name) => {
    for (const family of [4, 6] as const) {
      const check = checkSwitch(dual, dualSw(name), fixture(name), family);
      expect({ family, ...check }).toMatchObject({ family, missing: [], unexpected: [], wrong_nexthop: [] });
      expect(check.present).toHaveLength(12);
      expect(check.present.every((p) => p.endsWith(family === 4 ? '/32' : '/128'))).toBe(true);
    }
  });

  test("a leaf's own containers' /128s come from the agent's routes in main; BGP's from both spines", () => {
    const leaf01 = fixture('leaf01');
    expect(leaf01.table6!.map((r) => `${r.dst} ${r.dev}`)).toEqual(['2001:db8:1::11 swp1', '2001:db8:1::12 swp1', '2001:db8:1::13 swp1']);
    expect(expectedPath(dual, dualSw('leaf01'), dual.containers[11])).toEqual({ where: 'bgp', interfaces: ['swp51', 'swp52'] });
  });

  test('the same tables with a /128 taken out: missing there, still present with --absent for the rest', () => {
    const leaf03 = fixture('leaf03');
    delete leaf03.rib6!['2001:db8:1::11/128'];
    expect(checkSwitch(dual, dualSw('leaf03'), leaf03, 6).missing).toEqual(['2001:db8:1::11/128']);
    expect(checkAbsent(dual, dualSw('leaf03'), leaf03, 6).present).toHaveLength(11);
    // an IPv4-only check of a dual-stack switch sees its /32s alone
    expect(checkPassed(checkSwitch(dual, dualSw('leaf03'), leaf03), false)).toBe(true);
  });
});
