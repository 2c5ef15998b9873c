/**
 * The bench's reading of `cldemo up`'s progress lines into phases (bench/lib/up-phases.ts).
 */
import { upPhases, type StampedLine } from '../../bench/lib/up-phases.js';

const lines = (rows: [number, string][]): StampedLine[] => rows.map(([ms, line]) => ({ ms, line }));

describe('upPhases', () => {
  test('per server: setup, network, address check and containers; switches after them', () => {
    const p = upPhases(lines([
      [10, 'server01: uplink config'],
      [12, 'server02: uplink config'],
      [3000, 'server01: docker'],
      [3100, 'server01: network server01_eth1'],
      [3300, 'server01: checking 2 addresses are free (arping from leaf01)'],
      [3400, 'server02: docker'],
      [3500, 'server02: network server02_eth1'],
      [3600, 'server02: checking 2 addresses are free (arping from leaf02)'],
      [5300, 'server01: containers 0/2 started'],
      [5600, 'server02: containers 0/2 started'],
      [9000, 'server01: containers 1/2 started'],
      [12_300, 'server01: containers 2/2 started'],
      [12_310, 'server01: 1 file, ifreload, network created, 2 containers created'],
      [14_600, 'server02: containers 1/2 started'],
      [20_600, 'server02: containers 2/2 started'],
      [20_610, 'server02: 1 file, ifreload, network created, 2 containers created'],
      [12_400, 'leaf01: comparing config'],
      [12_500, 'leaf01: checking and installing /etc/frr/frr.conf'],
      [30_000, 'leaf01: installed /etc/frr/frr.conf'],
      [13_000, 'spine01: comparing config'],
      [25_000, 'spine01: installed /etc/frr/frr.conf'],
      [30_001, ''],
      [30_002, 'ok: 4 nodes changed (30.0 s)'],
    ]));
    expect(p.serverSetup).toEqual([3090, 3488]);
    expect(p.network).toEqual([200, 100]);
    expect(p.addressCheck).toEqual([2000, 2000]);
    expect(p.containers).toEqual([7000, 15_000]);
    expect(p.lastContainerMs).toBe(20_600);
    expect(p.switchesStartMs).toBe(12_400);
    expect(p.switchesSpan).toBe(30_000 - 12_400);
    expect(p.endMs).toBe(30_000);
  });

  test('a server with nothing to create has setup and network only; no lines, no phases', () => {
    const p = upPhases(lines([
      [5, 'server01: uplink config'],
      [900, 'server01: docker'],
      [950, 'server01: network server01_eth1'],
      [990, 'server01: unchanged'],
    ]));
    expect(p).toEqual({ serverSetup: [945], network: [], addressCheck: [], containers: [], endMs: 990 });
    expect(upPhases([])).toEqual({ serverSetup: [], network: [], addressCheck: [], containers: [] });
  });

  test('a server whose containers did not all start has no containers sample', () => {
    const p = upPhases(lines([
      [0, 'server01: uplink config'],
      [10, 'server01: network n'],
      [20, 'server01: checking 3 addresses are free (arping from leaf01)'],
      [30, 'server01: containers 0/3 started'],
      [40, 'server01: containers 2/3 started'],
      [50, 'server01: FAILED: create container x: boom'],
    ]));
    expect(p.containers).toEqual([]);
    expect(p.addressCheck).toEqual([10]);
    expect(p.lastContainerMs).toBeUndefined();
  });
});
