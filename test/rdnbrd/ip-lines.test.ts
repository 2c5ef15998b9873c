/** Lines exactly as iproute2 6.1 printed them on kernel 6.18. */
import { LIVE_STATES, parseLinkLine, parseMonitorLine, parseNeighborLine, parseRouteLine, parseStamped } from '../../src/rdnbrd/ip-lines.js';

describe('iproute2 line parsers', () => {
  it('reads neighbor states, deletions and missing lladdr', () => {
    expect(parseNeighborLine('10.9.0.11 dev swp1 lladdr 3a:25:51:f8:fc:2a REACHABLE ')).toEqual({
      kind: 'neigh', ip: '10.9.0.11', dev: 'swp1', mac: '3a:25:51:f8:fc:2a', state: 'REACHABLE', deleted: false,
    });
    expect(parseNeighborLine('Deleted 10.9.0.11 dev swp1 FAILED ')).toMatchObject({ ip: '10.9.0.11', state: 'FAILED', deleted: true, mac: undefined });
    expect(parseNeighborLine('10.9.0.12 dev swp1 lladdr 02:00:00:00:00:01 router STALE')).toMatchObject({ state: 'STALE' });
  });

  it('skips proxy entries and non-IPv4 lines', () => {
    expect(parseNeighborLine('10.9.0.96 dev swp1 proxy ')).toBeUndefined();
    expect(parseNeighborLine('fe80::1 dev swp1 lladdr 02:00:00:00:00:01 router REACHABLE')).toBeUndefined();
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
});
