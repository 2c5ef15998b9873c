/** Proxy NDP by proxy ARP's rule, with a fake kernel: which addresses a port answers for. */
import { parseRoutePath, type RoutePath } from '../../src/rdnbrd/ip-lines.js';
import { MemoryLogger } from '../../src/rdnbrd/log.js';
import { ProxyNdp, wantedProxies, type ProxyEntry, type ProxyKernel } from '../../src/rdnbrd/proxy-ndp.js';

class FakeKernel implements ProxyKernel {
  readonly calls: string[] = [];
  replaceProxy(ip: string, dev: string) { this.calls.push(`proxy ${ip} ${dev}`); }
  deleteProxy(ip: string, dev: string) { this.calls.push(`unproxy ${ip} ${dev}`); }
  take(): string[] { return this.calls.splice(0); }
}

/** A leaf with two server ports in the same /64 and two spines, as `ip -o -6 route show` prints it. */
const LEAF = [
  '2001:db8:1::/64 dev swp1 proto kernel metric 256 pref medium',
  '2001:db8:1::/64 dev swp2 proto kernel metric 256 pref medium',
  'fe80::/64 dev swp1 proto kernel metric 256 pref medium',
  'fe80::/64 dev swp51 proto kernel metric 256 pref medium',
  // a container on another rack: BGP over both spines
  '2001:db8:1::21 nhid 30 proto bgp metric 20 pref medium\\\tnexthop via fe80::a dev swp51 weight 1 \\\tnexthop via fe80::b dev swp52 weight 1 ',
  // containers behind this leaf's own ports (the agent's /128s)
  '2001:db8:1::11 dev swp1 proto 72 metric 1024 pref medium',
  '2001:db8:1::31 dev swp2 proto 72 metric 1024 pref medium',
  // another leaf's loopback: not in any port's prefix
  '2001:db8:ffff::12 nhid 31 via fe80::a dev swp51 proto bgp metric 20 pref medium',
];
const routes = (lines: string[]): RoutePath[] => lines.map((l) => parseRoutePath(l)!);
const keys = (m: Map<string, unknown>) => [...m.keys()].sort();

describe('proxy NDP', () => {
  it('answers on a port for every /128 of its prefix routed by other ports, and for no other', () => {
    expect(keys(wantedProxies(routes(LEAF), ['swp1', 'swp2']))).toEqual([
      '2001:db8:1::11 swp2', // behind swp1, asked for from swp2
      '2001:db8:1::21 swp1', '2001:db8:1::21 swp2', // another rack
      '2001:db8:1::31 swp1', // behind swp2, asked for from swp1
    ]);
  });

  it('never answers on a port for an address routed by that port, even while a BGP route for it lingers', () => {
    const moved = [...LEAF, '2001:db8:1::21 dev swp1 proto 72 metric 1024 pref medium'];
    expect(keys(wantedProxies(routes(moved), ['swp1', 'swp2']))).toEqual(['2001:db8:1::11 swp2', '2001:db8:1::21 swp2', '2001:db8:1::31 swp1']);
  });

  it('answers only on ports where the kernel proxies, for no address without a route, none outside the prefix', () => {
    expect(keys(wantedProxies(routes(LEAF), ['swp2']))).toEqual(['2001:db8:1::11 swp2', '2001:db8:1::21 swp2']);
    expect(keys(wantedProxies(routes(LEAF), ['swp51']))).toEqual([]); // no on-link prefix on a fabric port
    const otherPrefix = ['2001:db8:2::/64 dev swp1 proto kernel metric 256 pref medium', '2001:db8:1::21 dev swp51 proto bgp metric 20'];
    expect(keys(wantedProxies(routes(otherPrefix), ['swp1']))).toEqual([]);
    const linkLocal = ['2001:db8:1::/64 dev swp1 proto kernel metric 256', 'fe80::5 dev swp51 proto bgp metric 20', 'ff02::5 dev swp51 proto bgp metric 20'];
    expect(keys(wantedProxies(routes(linkLocal), ['swp1']))).toEqual([]);
  });

  it('follows the routes: adds what the kernel lacks, removes what none calls for, says why, leaves the rest alone', () => {
    const kernel = new FakeKernel();
    const logger = new MemoryLogger('INFO');
    const proxy = new ProxyNdp(kernel, logger);
    const current: ProxyEntry[] = [{ ip: '2001:db8:1::21', dev: 'swp1' }, { ip: '2001:db8:1::99', dev: 'swp1' }];
    proxy.sync({ routes: routes(LEAF), ports: ['swp1'], current });
    expect(kernel.take()).toEqual(['unproxy 2001:db8:1::99 swp1', 'proxy 2001:db8:1::31 swp1']);
    expect(logger.lines).toEqual([
      'INFO proxy del 2001:db8:1::99 dev swp1: no route',
      'INFO proxy add 2001:db8:1::31 dev swp1: routed via swp2',
    ]);
    // the container of ::21 comes to swp1: its entry there goes at once
    const moved = [...LEAF, '2001:db8:1::21 dev swp1 proto 72 metric 1024 pref medium'];
    proxy.sync({ routes: routes(moved), ports: ['swp1'], current: [{ ip: '2001:db8:1::21', dev: 'swp1' }, { ip: '2001:db8:1::31', dev: 'swp1' }] });
    expect(kernel.take()).toEqual(['unproxy 2001:db8:1::21 swp1']);
    expect(logger.lines.at(-1)).toBe('INFO proxy del 2001:db8:1::21 dev swp1: routed by swp1 itself');
    // proxy NDP turned off on the port
    proxy.sync({ routes: [], ports: [], current: [{ ip: '2001:db8:1::31', dev: 'swp1' }] });
    expect(kernel.take()).toEqual(['unproxy 2001:db8:1::31 swp1']);
    expect(logger.lines.at(-1)).toBe('INFO proxy del 2001:db8:1::31 dev swp1: swp1 does not proxy');
    expect(proxy.count).toBe(0);
  });

  it('removes what it made on a stop that withdraws', () => {
    const kernel = new FakeKernel();
    const proxy = new ProxyNdp(kernel, new MemoryLogger('INFO'));
    proxy.sync({ routes: routes(LEAF), ports: ['swp1', 'swp2'], current: [] });
    kernel.take();
    proxy.removeAll('rdnbrd stopping');
    expect(kernel.take().sort()).toEqual(['unproxy 2001:db8:1::11 swp2', 'unproxy 2001:db8:1::21 swp1', 'unproxy 2001:db8:1::21 swp2', 'unproxy 2001:db8:1::31 swp1']);
  });
});
