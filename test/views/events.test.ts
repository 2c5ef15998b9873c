/** events: ip monitor lines, BGP summaries and Docker events become FabricEvents; only real changes count. */
import { loadPlanSync } from '../../src/providers.js';
import { switchPlatform } from '../../src/platforms/index.js';
import { BgpWatch, containerEvent, eventLine, SwitchWatch } from '../../src/fabric/observe/events.js';
import type { FabricEvent } from '../../src/fabric/observe/formats.js';
import { eventSchema } from '../../src/fabric/observe/formats.js';

const plan = loadPlanSync('topology.yaml');
const at = () => new Date('2026-11-29T12:00:00.000Z');

function watch(node: string): { w: SwitchWatch; seen: FabricEvent[] } {
  const seen: FabricEvent[] = [];
  const w = new SwitchWatch(plan, node, (e) => seen.push(e), at);
  return { w, seen };
}

describe('events', () => {
  test('the dump before the mark seeds the state silently; later lines are events', () => {
    const { w, seen } = watch('leaf01');
    w.line('172.16.1.11 dev swp1 table 10 proto 72 scope link');
    w.line('172.16.1.11 dev swp1 lladdr 02:42:ac:10:01:0b REACHABLE');
    w.line('@@cldemo-events@@');
    expect(seen).toEqual([]);
    expect(w.held()).toEqual(['172.16.1.11/32']);
    w.line('172.16.1.11 dev swp1 lladdr 02:42:ac:10:01:0b STALE'); // still live: nothing new
    w.line('172.16.1.11 dev swp1  FAILED');
    w.line('Deleted 172.16.1.11 dev swp1 table 10 proto 72 scope link ');
    w.line('172.16.1.12 dev swp1 lladdr 02:42:ac:10:01:0c REACHABLE');
    w.line('172.16.1.12 dev swp1 table 10 proto 72 scope link');
    expect(seen.map((e) => `${e.type} ${e.action}`)).toEqual(['arp failed', 'route withdrawn', 'arp learned', 'route added']);
    expect(seen[1]).toEqual({ time: '2026-11-29T12:00:00.000Z', type: 'route', node: 'leaf01', action: 'withdrawn', prefix: '172.16.1.11/32', table: '10', proto: '72', container: 'server01-172.16.1.11' });
    for (const e of seen) expect(() => eventSchema.parse(e)).not.toThrow();
  });

  test('an event with a field its type does not declare fails the schema', () => {
    expect(() => eventSchema.parse({ time: 'T', type: 'bgp', node: 'leaf01', action: 'up', peer: 'swp51', state: 'Established' })).not.toThrow();
    expect(() => eventSchema.parse({ time: 'T', type: 'bgp', node: 'leaf01', action: 'up', peer: 'swp51', state: 'Established', asn: 65020 })).toThrow(/asn/);
    expect(() => eventSchema.parse({ time: 'T', type: 'watch', node: 'leaf01', action: 'started', ip: '10.0.0.1' })).toThrow(/ip/);
  });

  test('a /32 in two tables is withdrawn when the last one goes; other prefixes and subnets are ignored', () => {
    const { w, seen } = watch('leaf01');
    w.line('@@cldemo-events@@');
    w.line('172.16.1.21 nhid 20 via inet6 fe80::1 dev swp51 proto bgp metric 20');
    w.line('172.16.1.21 nhid 14 dev swp1 table 10 proto 72 scope link');
    w.line('172.16.1.21 nhid 22 proto bgp metric 20'); // ECMP change: still held
    w.line('Deleted 172.16.1.21 nhid 14 dev swp1 table 10 proto 72 scope link');
    w.line('10.0.0.12 nhid 20 via inet6 fe80::1 dev swp51 proto bgp metric 20');
    w.line('172.16.1.0/24 dev swp1 proto kernel scope link src 172.16.1.1');
    w.line('local 172.16.1.1 dev swp1 table local proto kernel scope host src 172.16.1.1');
    w.line('Deleted 172.16.1.21 nhid 22 proto bgp metric 20');
    expect(seen.map((e) => `${e.type} ${e.action} ${(e as { prefix?: string }).prefix}`)).toEqual(['route added 172.16.1.21/32', 'route withdrawn 172.16.1.21/32']);
  });

  test('BGP sessions going down and up are events; the first summary only seeds', () => {
    const seen: FabricEvent[] = [];
    const b = new BgpWatch('leaf01', switchPlatform('frr').show.bgp, (e) => seen.push(e), at);
    const summary = (a: string, c: string) => JSON.stringify({ ipv4Unicast: { peers: { swp51: { hostname: 'spine01', state: a }, swp52: { hostname: 'spine02', state: c } } } });
    b.summary(summary('Established', 'Established'));
    b.summary(summary('Established', 'Active'));
    b.summary('not json');
    b.summary('{}'); // vtysh busy: no peers object is no news, not every session removed
    b.summary(summary('Established', 'Established'));
    expect(seen.map((e) => `${e.type} ${e.action} ${(e as { peer: string }).peer}`)).toEqual(['bgp down swp52', 'bgp up swp52']);
    expect(seen[0]).toMatchObject({ hostname: 'spine02', state: 'Active' });
  });

  test("Docker's events become container events with the container's address and exit code", () => {
    const e = containerEvent(plan, 'server01', { action: 'die', container: 'server01-172.16.1.11', at: 1795954627123.4, exitCode: 137 });
    expect(e).toEqual({ time: new Date(1795954627123).toISOString(), type: 'container', node: 'server01', action: 'die', container: 'server01-172.16.1.11', ip: '172.16.1.11', exit_code: 137 });
    expect(containerEvent(plan, 'server01', { action: 'kill', container: 'server01-172.16.1.11', at: 0 })).toBeUndefined();
    expect(containerEvent(plan, 'server01', { action: 'connect', container: '', at: 0 })).toBeUndefined();
    expect(eventLine(e!)).toBe(`${e!.time.slice(11, 23)}  server01   container die server01-172.16.1.11 (exit 137)`);
  });
});
