/** Lines exactly as iproute2 6.1 printed them on kernel 6.18. */
import { parseLinkLine, parseMonitorLine, parseNeighborLine, parseRouteLine } from '../../src/rdnbrd/ip-lines.js';

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
    expect(parseMonitorLine(up)).toMatchObject({ kind: 'link' });
  });

  it('reads host routes with their protocol', () => {
    expect(parseRouteLine('10.9.0.11 dev swp1 proto 72 scope link ')).toEqual({ ip: '10.9.0.11', dev: 'swp1', proto: '72' });
    expect(parseRouteLine('10.9.0.0/24 dev swp1 proto kernel scope link')).toBeUndefined();
  });
});
