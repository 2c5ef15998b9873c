import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationError, UsageError } from '../../src/errors.js';
import { renderAll, renderNode, writeRendered, type Rendered } from '../../src/render/index.js';
import type { Plan, SwitchPlan } from '../../src/topology/types.js';
import { defaultPlan, dualStackPlan, planOnPlatform, planWithBgpOptions } from './plans.js';

const frrPlan = defaultPlan();
const cumulusPlan = planOnPlatform('cumulus');
const file = (plan: Plan, node: string, path: string) => [...renderNode(plan, node).values()].find((f) => f.path === path)!.text;
const paths = (plan: Plan, node: string) => [...renderNode(plan, node).values()].map((f) => f.path);

/** The default plan with leaf01 changed by `change`. */
function withLeaf01(change: (leaf: SwitchPlan) => SwitchPlan): Plan {
  return { ...frrPlan, switches: frrPlan.switches.map((s) => (s.name === 'leaf01' ? change(s) : s)) };
}

describe('which files each node gets', () => {
  test('leaf: interfaces, frr.conf, daemons, rdnbrd.conf', () => {
    expect(paths(frrPlan, 'leaf03')).toEqual([
      '/etc/network/interfaces',
      '/etc/frr/frr.conf',
      '/etc/frr/daemons',
      '/etc/rdnbrd.conf',
    ]);
  });
  test('spine: no rdnbrd.conf', () => {
    expect(paths(frrPlan, 'spine01')).toEqual(['/etc/network/interfaces', '/etc/frr/frr.conf', '/etc/frr/daemons']);
  });
  test('server: interfaces only', () => {
    expect(paths(frrPlan, 'server02')).toEqual(['/etc/network/interfaces']);
  });
  test('renderAll covers every switch and server, in plan order', () => {
    expect([...renderAll(frrPlan).keys()]).toEqual([
      ...frrPlan.switches.map((s) => s.name),
      ...frrPlan.servers.map((s) => s.name),
    ]);
  });
  test('an unknown node is a usage error (exit 2)', () => {
    expect(() => renderNode(frrPlan, 'leaf99')).toThrow(UsageError);
  });
});

describe('what the original demo configured', () => {
  test('leaf frr.conf: unnumbered BGP, import-table, route-maps limited to lo and the server port', () => {
    const conf = file(frrPlan, 'leaf02', '/etc/frr/frr.conf');
    for (const line of [
      'frr defaults datacenter',
      'ip import-table 10',
      'router bgp 65012',
      ' bgp router-id 10.0.0.12',
      ' bgp bestpath as-path multipath-relax',
      ' neighbor swp51 interface remote-as external',
      ' neighbor swp52 interface remote-as external',
      '  redistribute connected route-map LOCAL_ROUTES',
      '  redistribute table 10 route-map HOST_ROUTES',
      'route-map LOCAL_ROUTES permit 10\n match interface lo\n',
      'route-map HOST_ROUTES permit 10\n match interface swp2\n',
      'interface swp51\n description to spine01 swp2\n ipv6 nd ra-interval 10\n no ipv6 nd suppress-ra\n',
    ]) {
      expect(conf).toContain(line);
    }
  });
  test('spine frr.conf has no table redistribution', () => {
    const conf = file(frrPlan, 'spine01', '/etc/frr/frr.conf');
    expect(conf).not.toMatch(/import-table|redistribute table|HOST_ROUTES/);
    expect(conf).toContain(' neighbor swp4 interface remote-as external');
  });
  test('leaf interfaces: loopback /32, fabric mtu, gateway with proxy ARP on the server port', () => {
    const ifaces = file(frrPlan, 'leaf04', '/etc/network/interfaces');
    expect(ifaces).toContain('iface lo inet loopback\n    address 10.0.0.14/32\n');
    expect(ifaces).toContain('auto swp51\niface swp51\n    mtu 9216\n');
    expect(ifaces).toContain(
      'auto swp2\niface swp2\n    address 172.16.1.1/24\n    mtu 9216\n',
    );
    expect(ifaces).toContain('post-up sysctl -q -w net.ipv4.conf.swp2.proxy_arp=1');
    expect(ifaces).toContain('post-up sysctl -q -w net.ipv4.neigh.swp2.proxy_delay=0');
  });
  test('server interfaces: own address in the subnet, mtu, promiscuous uplink', () => {
    const ifaces = file(frrPlan, 'server04', '/etc/network/interfaces');
    expect(ifaces).toContain(
      'auto eth2\niface eth2 inet static\n    address 172.16.1.254/24\n    mtu 9216\n',
    );
    expect(ifaces).toContain('    post-up ip link set eth2 promisc on\n');
  });
  test('rdnbrd.conf carries the topology settings with Python booleans', () => {
    const conf = file(frrPlan, 'leaf01', '/etc/rdnbrd.conf');
    const keys = Object.fromEntries(
      conf.split('\n').filter((l) => /^\w+ = /.test(l)).map((l) => l.split(' = ')),
    );
    expect(keys).toEqual({
      loglevel: 'INFO', keepalive: '1', holdtime: '3', route_table: '10', unicast_arp_requests: 'True',
      expected_neighbors: 'swp1:172.16.1.11,172.16.1.12,172.16.1.13',
    });
  });
  test('rdnbrd.conf for Cumulus has only the keys Cumulus rdnbrd knows', () => {
    const conf = file(cumulusPlan, 'leaf01', '/etc/rdnbrd.conf');
    const keys = conf.split('\n').filter((l) => /^\w+ = /.test(l)).map((l) => l.split(' = ')[0]);
    expect(keys).toEqual(['loglevel', 'keepalive', 'holdtime', 'route_table', 'unicast_arp_requests']);
  });
  test('rdnbrd settings flow through', () => {
    const plan = { ...frrPlan, redistributeNeighbor: { ...frrPlan.redistributeNeighbor, routeTable: 42, unicastArpRequests: false } };
    expect(file(plan, 'leaf01', '/etc/rdnbrd.conf')).toContain('unicast_arp_requests = False');
    expect(file(plan, 'leaf01', '/etc/frr/frr.conf')).toMatch(/ip import-table 42\n[^]*redistribute table 42 route-map/);
  });
  test('daemons: zebra and bgpd on (and staticd on the frr platform)', () => {
    const daemons = file(frrPlan, 'spine02', '/etc/frr/daemons');
    expect(daemons).toMatch(/^zebra=yes$/m);
    expect(daemons).toMatch(/^bgpd=yes$/m);
    expect(daemons).toMatch(/^staticd=yes$/m);
    expect(daemons).toMatch(/^ospfd=no$/m);
  });
});

describe('leaf server ports', () => {
  test('two server ports: one HOST_ROUTES entry each, both gateways', () => {
    const plan = withLeaf01((l) => ({
      ...l,
      serverPorts: [...l.serverPorts, { port: 'swp3', server: 'server09', serverInterface: 'eth1', mtu: 1500, containerIps: [] }],
    }));
    const conf = file(plan, 'leaf01', '/etc/frr/frr.conf');
    expect(conf).toContain('route-map HOST_ROUTES permit 10\n match interface swp1\n');
    expect(conf).toContain('route-map HOST_ROUTES permit 20\n match interface swp3\n');
    expect(file(plan, 'leaf01', '/etc/network/interfaces')).toContain('iface swp3\n    address 172.16.1.1/24\n    mtu 1500\n');
  });
  test('no server port: HOST_ROUTES exists and denies, so table routes never leak', () => {
    const conf = file(withLeaf01((l) => ({ ...l, serverPorts: [] })), 'leaf01', '/etc/frr/frr.conf');
    expect(conf).toContain('route-map HOST_ROUTES deny 10\n');
    expect(conf).not.toContain('HOST_ROUTES permit');
  });
});

describe('platform-specific lines stay in their platform', () => {
  const all = (plan: Plan, path: string) =>
    plan.switches.map((s) => file(plan, s.name, path)).join('\n');

  test('cumulus interfaces: proxy ARP through /proc, Cumulus include files, no sysctl', () => {
    const ifaces = all(cumulusPlan, '/etc/network/interfaces');
    expect(ifaces).toContain('post-up echo 1 > /proc/sys/net/ipv4/conf/swp1/proxy_arp');
    expect(ifaces).toContain('source /etc/network/interfaces.d/*.intf');
    expect(ifaces).not.toContain('sysctl');
  });
  test('frr interfaces: sysctl, no Cumulus include files or /proc writes', () => {
    const ifaces = all(frrPlan, '/etc/network/interfaces');
    expect(ifaces).toContain('post-up sysctl -q -w net.ipv4.conf.swp1.proxy_arp=1');
    expect(ifaces).not.toContain('.intf');
    expect(ifaces).not.toContain('/proc/sys');
  });
  test('cumulus daemons: no Debian-only staticd line', () => {
    expect(all(cumulusPlan, '/etc/frr/daemons')).not.toContain('staticd');
  });
  test('the platform and template are named in every switch file header', () => {
    expect(file(cumulusPlan, 'leaf01', '/etc/frr/frr.conf')).toContain('platform cumulus');
    expect(file(cumulusPlan, 'leaf01', '/etc/frr/frr.conf')).toContain('templates/frr/cumulus.j2');
    expect(file(frrPlan, 'leaf01', '/etc/frr/frr.conf')).toContain('templates/frr/frr.j2');
  });
  test('frr.conf says the same on both platforms apart from its header', () => {
    const body = (plan: Plan) => file(plan, 'leaf01', '/etc/frr/frr.conf').split('\n').slice(3).join('\n');
    expect(body(cumulusPlan)).toBe(body(frrPlan));
  });
});

describe('BGP options (bgp: bfd, graceful_restart)', () => {
  const both = planWithBgpOptions();
  const bfdOnly = planWithBgpOptions(frrPlan, { bfd: { interval: 100, multiplier: 5 } });
  const grOnly = planWithBgpOptions(frrPlan, { gracefulRestart: { restartTime: 60, stalepathTime: 90 } });

  test('bfd: one profile with the timers, every fabric session uses it, bfdd runs', () => {
    const conf = file(bfdOnly, 'leaf01', '/etc/frr/frr.conf');
    expect(conf).toContain('bfd\n profile fabric\n  detect-multiplier 5\n  receive-interval 100\n  transmit-interval 100\n exit\n');
    expect(conf).toContain(' neighbor swp51 interface remote-as external\n neighbor swp51 bfd profile fabric\n');
    expect(conf).toContain(' neighbor swp52 interface remote-as external\n neighbor swp52 bfd profile fabric\n');
    expect(conf).not.toMatch(/graceful-restart|check-control-plane-failure|redistribute kernel/);
    const daemons = file(bfdOnly, 'spine01', '/etc/frr/daemons');
    expect(daemons).toMatch(/^bfdd=yes$/m);
    expect(daemons).toMatch(/^bfdd_options=/m);
    expect(daemons).toMatch(/^zebra_options=" {2}-A 127\.0\.0\.1 -s 90000000"$/m);
  });
  test('graceful restart: preserve-fw-state and the timers, no N-bit; zebra keeps kernel routes across the restart', () => {
    for (const node of ['spine01', 'leaf03']) {
      const conf = file(grOnly, node, '/etc/frr/frr.conf');
      expect(conf).toContain(' bgp graceful-restart\n bgp graceful-restart preserve-fw-state\n bgp graceful-restart restart-time 60\n bgp graceful-restart stalepath-time 90\n no bgp graceful-restart notification\n');
      expect(conf).not.toMatch(/^bfd$|bfd profile/m);
      expect(file(grOnly, node, '/etc/frr/daemons')).toMatch(/^zebra_options=" {2}-A 127\.0\.0\.1 -s 90000000 -r -K 60"$/m);
      expect(file(grOnly, node, '/etc/frr/daemons')).toMatch(/^bfdd=no$/m);
    }
  });
  test("graceful restart on a leaf also advertises zebra's kernel copies of the table's /32s (they hide the table's after a restart)", () => {
    expect(file(grOnly, 'leaf01', '/etc/frr/frr.conf')).toMatch(/ {2}redistribute table 10 route-map HOST_ROUTES\n(?: {2}!.*\n)* {2}redistribute kernel route-map HOST_ROUTES\n exit-address-family/);
    expect(file(grOnly, 'spine01', '/etc/frr/frr.conf')).not.toContain('redistribute kernel');
  });
  test('both: spines keep a restarting leaf\'s routes when BFD goes down with it; leaves never ignore BFD', () => {
    const spine = file(both, 'spine02', '/etc/frr/frr.conf');
    for (const port of ['swp1', 'swp2', 'swp3', 'swp4']) expect(spine).toContain(` neighbor ${port} bfd profile fabric\n neighbor ${port} bfd check-control-plane-failure\n`);
    expect(file(both, 'leaf02', '/etc/frr/frr.conf')).not.toContain('check-control-plane-failure');
    expect(file(bfdOnly, 'spine02', '/etc/frr/frr.conf')).not.toContain('check-control-plane-failure');
  });
  test('cumulus renders the same FRR lines and daemons switches', () => {
    const cumulus = planWithBgpOptions(cumulusPlan);
    const body = (plan: Plan) => file(plan, 'spine01', '/etc/frr/frr.conf').split('\n').slice(3).join('\n');
    expect(body(cumulus)).toBe(body(both));
    expect(file(cumulus, 'leaf01', '/etc/frr/daemons')).toMatch(/^bfdd=yes$/m);
    expect(file(cumulus, 'leaf01', '/etc/frr/daemons')).toMatch(/^zebra_options=".* -r -K 120"$/m);
  });
  test('off (the default): not a line about them', () => {
    for (const s of frrPlan.switches) {
      expect(file(frrPlan, s.name, '/etc/frr/frr.conf')).not.toMatch(/bfd|graceful|redistribute kernel/);
      expect(file(frrPlan, s.name, '/etc/frr/daemons')).toMatch(/^bfdd=no$/m);
    }
  });
});

describe('dual stack (ipv6:)', () => {
  const dual = dualStackPlan();
  const frr = (node: string) => file(dual, node, '/etc/frr/frr.conf');
  const ifaces = (node: string) => file(dual, node, '/etc/network/interfaces');

  test('IPv6 unicast over the same sessions: every fabric port activated, the loopback and (leaves) the /128s the agent writes to the main table', () => {
    expect(frr('leaf01')).toContain(
      ' address-family ipv6 unicast\n  neighbor swp51 activate\n  neighbor swp52 activate\n  redistribute connected route-map LOCAL_ROUTES\n',
    );
    expect(frr('leaf01')).toMatch(/ {2}redistribute kernel route-map HOST_ROUTES\n exit-address-family\nexit\n/);
    expect(frr('spine02')).toMatch(/ address-family ipv6 unicast\n(?: {2}neighbor swp\d activate\n){4} {2}redistribute connected route-map LOCAL_ROUTES\n exit-address-family/);
    expect(frr('spine02')).not.toContain('redistribute kernel');
  });
  test("the loopback's IPv6 address, the IPv6 gateway and proxy NDP on every server port, the server's own IPv6 address", () => {
    expect(ifaces('spine01')).toContain('iface lo inet loopback\n    address 10.0.0.21/32\n    address 2001:db8:ffff:0:10::21/128\n');
    const leaf = ifaces('leaf02');
    expect(leaf).toContain('    address 2001:db8:1::1/64\n');
    expect(leaf).toContain('post-up sysctl -q -w net.ipv6.conf.swp2.proxy_ndp=1\n');
    expect(leaf).toContain('post-up sysctl -q -w net.ipv6.neigh.swp2.proxy_delay=0\n');
    expect(leaf).toContain('post-up sysctl -q -w net.ipv6.conf.swp2.keep_addr_on_down=1\n');
    expect(ifaces('server03')).toContain('    address 172.16.1.253/24\n    address 2001:db8:1::253/64\n');
  });
  test('the agent is told the IPv6 addresses behind each port after the IPv4 ones', () => {
    expect(file(dual, 'leaf03', '/etc/rdnbrd.conf')).toMatch(/^expected_neighbors = swp1:172\.16\.1\.31,172\.16\.1\.32,172\.16\.1\.33,2001:db8:1::31,2001:db8:1::32,2001:db8:1::33$/m);
  });
  test('the IPv4 lines are the IPv4-only topology\'s, and an IPv4-only topology has no IPv6 line', () => {
    for (const node of ['spine01', 'leaf01', 'server01']) {
      for (const path of paths(frrPlan, node)) {
        // expected_neighbors is the one line that grows: its IPv6 addresses follow on the line
        const v4 = file(frrPlan, node, path).split('\n').slice(3).filter((l) => !l.startsWith('expected_neighbors'));
        const both = new Set(file(dual, node, path).split('\n'));
        expect({ node, path, missing: v4.filter((l) => !both.has(l)) }).toEqual({ node, path, missing: [] });
        expect(file(frrPlan, node, path)).not.toMatch(/ipv6 unicast|proxy_ndp|2001:|::/);
      }
    }
  });
});

describe('templates directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cldemo-render-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const put = (name: string, text: string) => {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  };

  test('a platform without a template is a usage error that names the file', () => {
    put('interfaces/server.j2', 'x\n');
    expect(() => renderNode(frrPlan, 'leaf01', dir)).toThrow(/no template interfaces\/frr\.j2/);
  });
  test('a misspelt variable fails instead of rendering empty', () => {
    put('interfaces/server.j2', 'address {{ node.uplink.adress }}\n');
    expect(() => renderNode(frrPlan, 'server01', dir)).toThrow(OperationError);
    expect(() => renderNode(frrPlan, 'server01', dir)).toThrow(/server01: rendering interfaces\/server\.j2 failed/);
  });
  test('nothing is HTML-escaped', () => {
    put('interfaces/server.j2', '{{ "a > b & c" }}\n');
    expect(renderNode(frrPlan, 'server01', dir).get('interfaces')!.text).toBe('a > b & c\n');
  });
  test('writeRendered writes DIR/<node>/<path> and returns every path', () => {
    const rendered: Rendered = new Map([
      ['leaf01', new Map([['frr', { kind: 'frr', path: '/etc/frr/frr.conf', text: 'x\n' }], ['rdnbrd', { kind: 'rdnbrd', path: '/etc/rdnbrd.conf', text: 'y\n' }]])],
    ]);
    const written = writeRendered(dir, rendered);
    expect(written).toEqual([join(dir, 'leaf01/etc/frr/frr.conf'), join(dir, 'leaf01/etc/rdnbrd.conf')]);
    expect(readFileSync(join(dir, 'leaf01/etc/rdnbrd.conf'), 'utf8')).toBe('y\n');
  });
});
