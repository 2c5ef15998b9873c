/** Lines exactly as iproute2 6.1 printed them on kernel 6.18. */
import { IpKernel, type IpBatch } from '../../src/rdnbrd/iproute.js';
import {
  LIVE_STATES, parseLinkLine, parseMonitorLine, parseNeighborLine, parseNetconfLine, parseProxyLine, parseRouteLine, parseRoutePath, parseStamped, parseTableRoute,
} from '../../src/rdnbrd/ip-lines.js';

describe('iproute2 line parsers', () => {
  it('reads neighbor states, deletions and missing lladdr', () => {
    expect(parseNeighborLine('10.9.0.11 dev swp1 lladdr 3a:25:51:f8:fc:2a REACHABLE ')).toEqual({
      kind: 'neigh', ip: '10.9.0.11', dev: 'swp1', mac: '3a:25:51:f8:fc:2a', state: 'REACHABLE', deleted: false,
    });
    expect(parseNeighborLine('Deleted 10.9.0.11 dev swp1 FAILED ')).toMatchObject({ ip: '10.9.0.11', state: 'FAILED', deleted: true, mac: undefined });
    expect(parseNeighborLine('10.9.0.12 dev swp1 lladdr 02:00:00:00:00:01 router STALE')).toMatchObject({ state: 'STALE' });
  });

  it('skips proxy entries and lines that are not about an address', () => {
    expect(parseNeighborLine('10.9.0.96 dev swp1 proxy ')).toBeUndefined();
    expect(parseNeighborLine('2001:db8:1::60 dev swp1 proxy proto 72 ')).toBeUndefined();
    expect(parseNeighborLine('inet6 swp2 proxy_neigh on ')).toBeUndefined();
    expect(parseNeighborLine('dev swp1 lladdr 02:00:00:00:00:01 REACHABLE')).toBeUndefined();
  });

  it('reads IPv6 neighbors and their router flag', () => {
    expect(parseNeighborLine('2001:db8:1::11 dev swp1 lladdr ee:de:05:50:4e:2c REACHABLE ')).toEqual({
      kind: 'neigh', ip: '2001:db8:1::11', dev: 'swp1', mac: 'ee:de:05:50:4e:2c', state: 'REACHABLE', deleted: false, router: false,
    });
    expect(parseNeighborLine('fe80::1 dev swp51 lladdr 02:00:00:00:00:01 router REACHABLE')).toMatchObject({ ip: 'fe80::1', router: true });
    expect(parseNeighborLine('Deleted 2001:db8:1::99 dev swp1 FAILED ')).toMatchObject({ ip: '2001:db8:1::99', state: 'FAILED', deleted: true });
  });

  it('reads link state from `ip -o monitor link`', () => {
    const down = '2: swp1@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default \\    link/ether 82:70:d2:08:b4:ff';
    const adminDown = '2: swp1@if2: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default';
    const up = '2: swp1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default';
    expect(parseLinkLine(down)).toEqual({ kind: 'link', dev: 'swp1', up: false, deleted: false });
    expect(parseLinkLine(adminDown)).toMatchObject({ up: false });
    expect(parseLinkLine(up)).toMatchObject({ dev: 'swp1', up: true });
    expect(parseLinkLine('Deleted 7: swp9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500')).toMatchObject({ dev: 'swp9', up: false, deleted: true });
    expect(parseMonitorLine(up, ['neigh', 'link'])).toMatchObject({ kind: 'link' });
  });

  it('reads host routes with their protocol', () => {
    expect(parseRouteLine('10.9.0.11 dev swp1 proto 72 scope link ')).toEqual({ kind: 'route', ip: '10.9.0.11', dev: 'swp1', proto: '72', table: 'main', deleted: false });
    expect(parseRouteLine('10.9.0.0/24 dev swp1 proto kernel scope link')).toBeUndefined();
    expect(parseRouteLine('Deleted 10.9.0.11/32 dev swp1 table 10 proto 72 scope link')).toMatchObject({ ip: '10.9.0.11', table: '10', deleted: true });
    expect(parseRouteLine('10.9.0.12 nhid 18 proto bgp metric 20')).toMatchObject({ ip: '10.9.0.12', dev: undefined, proto: 'bgp', table: 'main' });
    for (const other of ['local 10.9.0.1 dev swp1 table local proto kernel scope host src 10.9.0.1', 'broadcast 10.9.0.255 dev swp1 table local', 'default via 10.9.0.1 dev eth0']) {
      expect(parseRouteLine(other)).toBeUndefined();
    }
    expect(parseRouteLine('2001:db8:1::11 dev swp1 proto 72 metric 1024 pref medium')).toEqual({ kind: 'route', ip: '2001:db8:1::11', dev: 'swp1', proto: '72', table: 'main', deleted: false });
    expect(parseRouteLine('2001:db8:1::11/128 dev swp1 proto 72 metric 1024 pref medium')).toMatchObject({ ip: '2001:db8:1::11' });
    expect(parseRouteLine('2001:db8:1::/64 dev swp1 proto kernel metric 256 pref medium')).toBeUndefined();
  });

  it('tells neighbor lines from route lines in a monitor of both, as the agent, events and the bench read them', () => {
    const both = ['neigh', 'route'] as const;
    expect(parseMonitorLine('10.9.0.11 dev swp1 lladdr 3a:25:51:f8:fc:2a REACHABLE', both)).toMatchObject({ kind: 'neigh', state: 'REACHABLE' });
    expect(parseMonitorLine('10.9.0.11 dev swp1 FAILED', both)).toMatchObject({ kind: 'neigh', state: 'FAILED' });
    expect(parseMonitorLine('Deleted 10.9.0.11 dev swp1 table 10 proto 72 scope link', both)).toMatchObject({ kind: 'route', deleted: true, table: '10' });
    // a neighbor line the kernel printed with no state: a neighbor where only neighbors are watched
    expect(parseMonitorLine('Deleted 10.9.0.11 dev swp1 ', ['neigh', 'link'])).toMatchObject({ kind: 'neigh', state: 'NONE', deleted: true });
    expect(parseMonitorLine('10.9.0.11 dev swp1 proto 72 scope link', ['neigh', 'link'])).toMatchObject({ kind: 'neigh' });
    expect(parseMonitorLine('2: swp1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9216', both)).toBeUndefined();
  });

  it('one meaning of a live neighbor: NOARP is not one (nothing answered)', () => {
    expect([...LIVE_STATES].sort()).toEqual(['DELAY', 'PERMANENT', 'PROBE', 'REACHABLE', 'STALE']);
    expect(LIVE_STATES.has('NOARP')).toBe(false);
  });

  it('reads the time ip -ts puts before a line', () => {
    const s = parseStamped('[2026-11-29T00:42:59.822406] 10.7.0.5 dev swp1 FAILED');
    expect(s?.rest).toBe('10.7.0.5 dev swp1 FAILED');
    expect(s!.at - new Date(2026, 10, 29, 0, 42, 59).getTime()).toBeCloseTo(822.406, 3);
    expect(parseStamped('10.7.0.5 dev swp1 FAILED')).toBeUndefined();
  });

  it('reads every port a route leaves by, multipath and nexthop groups included (ip -o -6 route)', () => {
    expect(parseRoutePath('2001:db8:1::/64 dev swp1 proto kernel metric 256 pref medium')).toEqual({ dst: '2001:db8:1::', length: 64, devs: ['swp1'], gateway: false });
    expect(parseRoutePath('2001:db8:1::57 proto bgp metric 20 pref medium\\\tnexthop via fe80::1 dev swp51 weight 1 \\\tnexthop via fe80::2 dev swp52 weight 1 '))
      .toEqual({ dst: '2001:db8:1::57', length: 128, devs: ['swp51', 'swp52'], gateway: true });
    expect(parseRoutePath('2001:db8:1::59 nhid 11 via fe80::1 dev swp51 proto bgp metric 20 pref medium')).toMatchObject({ devs: ['swp51'], gateway: true });
    expect(parseRoutePath('unreachable 2001:db8:9::/64 dev lo proto kernel metric 1024 error -113 pref medium')).toBeUndefined();
  });

  it('reads proxy_neigh from netconf lines and proxy entries from neigh show proxy', () => {
    expect(parseNetconfLine('inet6 swp1 forwarding on proxy_neigh on ignore_routes_with_linkdown off ')).toEqual({ dev: 'swp1', proxyNeigh: true });
    expect(parseNetconfLine('inet6 all forwarding on proxy_neigh off ignore_routes_with_linkdown off ')).toEqual({ dev: 'all', proxyNeigh: false });
    expect(parseNetconfLine('inet6 swp2 forwarding on ')).toEqual({ dev: 'swp2', proxyNeigh: undefined });
    expect(parseNetconfLine('ipv4 dev swp1 forwarding on rp_filter off ')).toBeUndefined();
    expect(parseProxyLine('2001:db8:1::60 dev swp1 proxy proto 72 ')).toEqual({ ip: '2001:db8:1::60', dev: 'swp1' });
    expect(parseProxyLine('2001:db8:1::11 dev swp1 lladdr ee:de:05:50:4e:2c REACHABLE')).toBeUndefined();
  });

  it('reads any route of any table as ip -o route show table all and ip -o monitor route print it', () => {
    expect(parseTableRoute('10.5.0.9 dev d0 table 10 proto 72 scope link ')).toEqual({
      dst: '10.5.0.9', length: 32, family: 4, dev: 'd0', proto: '72', table: '10', multipath: false, deleted: false,
    });
    expect(parseTableRoute('blackhole 10.6.0.0/24 table 10 ')).toMatchObject({ dst: '10.6.0.0', length: 24, type: 'blackhole', proto: 'boot', dev: undefined });
    expect(parseTableRoute('2001:db8:5::9 dev d0 proto 72 metric 1024 pref medium')).toMatchObject({ family: 6, length: 128, table: 'main', metric: '1024' });
    expect(parseTableRoute('Deleted 10.5.0.6 dev d0 table 10 proto static scope link ')).toMatchObject({ dst: '10.5.0.6', proto: 'static', deleted: true });
    expect(parseTableRoute('default via 10.0.0.1 dev eth0 table 10')).toMatchObject({ dst: 'default', length: 0, family: 4, table: '10' });
    // ip -N: type, protocol and table as numbers; no proto word is boot's 3
    expect(parseTableRoute('6 10.6.0.0/24 table 10 ', true)).toMatchObject({ dst: '10.6.0.0', length: 24, type: 'blackhole', proto: '3', table: '10' });
    expect(parseTableRoute('10.5.0.6 dev d0 table 10 proto 4 scope 253 ', true)).toMatchObject({ dst: '10.5.0.6', proto: '4', table: '10' });
    expect(parseTableRoute('2 fe80::1 dev d0 table 255 proto 2 metric 0 pref medium', true)).toMatchObject({ dst: 'fe80::1', type: 'local', proto: '2', table: '255' });
    expect(parseTableRoute('10.5.0.7 dev d0 table 10 proto 72 scope 253', true)).toMatchObject({ dst: '10.5.0.7', proto: '72', table: '10' });
    expect(parseTableRoute('10.5.0.8 dev d0 table 10', true)?.type).toBeUndefined();
    expect(parseTableRoute('default via fe80::1 dev swp51 proto bgp metric 20 pref medium')).toMatchObject({ family: 6, length: 0, proto: 'bgp' });
    expect(parseTableRoute('10.9.0.21 nhid 50 proto bgp metric 20 \\	nexthop via inet6 fe80::1 dev swp51 weight 1 \\	nexthop via inet6 fe80::2 dev swp52 weight 1 '))
      .toMatchObject({ dst: '10.9.0.21', multipath: true, dev: 'swp51', proto: 'bgp' });
    expect(parseTableRoute('local 10.5.0.1 dev d0 table local proto kernel scope host src 10.5.0.1 ')).toMatchObject({ type: 'local', table: 'local' });
    expect(parseTableRoute('10.9.0.11 dev swp1 lladdr 3a:25:51:f8:fc:2a REACHABLE')).toMatchObject({ proto: 'boot' }); // a neighbor line is no route the agent reads
    expect(parseTableRoute('garbage here')).toBeUndefined();
  });
});

describe("the agent's removal of a route it read (ip -N)", () => {
  const sent: string[] = [];
  const batch = { run: (c: string) => sent.push(c) } as unknown as IpBatch;
  const kernel = new IpKernel(batch, batch, () => undefined);

  test('names the table and protocol by number: no name ever reaches the long-lived batch', () => {
    kernel.removeRoute(parseTableRoute('6 10.6.0.0/24 table 10 ', true)!);
    kernel.removeRoute(parseTableRoute('2001:db8::79 dev swp1 proto 4 metric 1024 pref medium', true)!);
    kernel.removeRoute(parseTableRoute('10.5.0.6 dev d0 table 10 proto 196 scope 253 ', true)!);
    expect(sent).toEqual([
      'route del 10.6.0.0/24 table 10 proto 3',
      'route del 2001:db8::79/128 table 254 dev swp1 proto 4 metric 1024',
      'route del 10.5.0.6/32 table 10 dev d0 proto 196',
    ]);
    for (const c of sent) expect(c).not.toMatch(/ (table|proto) [a-z]/);
  });
});
