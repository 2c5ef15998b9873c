/** events: ip monitor lines, BGP summaries and Docker events become FabricEvents; only real changes count. */
import { loadPlanSync } from '../../src/providers.js';
import { switchPlatform } from '../../src/platforms/index.js';
import { BgpWatch, containerEvent, eventLine, SwitchWatch } from '../../src/fabric/observe/events.js';
import { BfdWatch } from '../../src/fabric/observe/link-events.js';
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

  test("dual stack: a container's /128 and its neighbor discovery entry are events too; link-local, routers and other prefixes are not", () => {
    const dual = loadPlanSync('examples/dual-stack.yaml');
    const seen: FabricEvent[] = [];
    const w = new SwitchWatch(dual, 'leaf01', (e) => seen.push(e), at);
    w.line('2001:db8:1::11 dev swp1 proto 72 metric 1024 pref medium');
    w.line('@@cldemo-events@@');
    expect(w.held()).toEqual(['2001:db8:1::11/128']);
    w.line('2001:db8:1::12 dev swp1 lladdr 02:42:ac:10:01:0c REACHABLE');
    w.line('2001:db8:1::12 dev swp1 proto 72 metric 1024 pref medium');
    w.line('2001:db8:1::21 nhid 30 proto bgp metric 20 pref medium\\\tnexthop via fe80::a dev swp51 weight 1 \\\tnexthop via fe80::b dev swp52 weight 1 ');
    w.line('fe80::1 dev swp51 lladdr 02:00:00:00:00:01 router REACHABLE');
    w.line('2001:db8:ffff:0:10::12 nhid 31 via fe80::a dev swp51 proto bgp metric 20 pref medium');
    w.line('2001:db8:1::/64 dev swp1 proto kernel metric 256 pref medium');
    w.line('2001:db8:1::11 dev swp1 FAILED');
    w.line('Deleted 2001:db8:1::11 dev swp1 proto 72 metric 1024 pref medium');
    w.line('172.16.1.11 dev swp1 lladdr 02:42:ac:10:01:0b REACHABLE');
    expect(seen.map((e) => `${e.type} ${e.action} ${'prefix' in e ? e.prefix : e.type === 'arp' ? e.ip : ''}`)).toEqual([
      'arp learned 2001:db8:1::12', 'route added 2001:db8:1::12/128', 'route added 2001:db8:1::21/128',
      'arp failed 2001:db8:1::11', 'route withdrawn 2001:db8:1::11/128', 'arp learned 172.16.1.11',
    ]);
    expect(seen[2]).toMatchObject({ table: 'main', proto: 'bgp', container: 'server02-172.16.1.21' });
    expect(eventLine(seen[0])).toBe('12:00:00.000  leaf01     nd learned 2001:db8:1::12 on swp1 (REACHABLE) server01-172.16.1.12');
    expect(eventLine(seen[5])).toContain('arp learned 172.16.1.11 on swp1');
    for (const e of seen) expect(() => eventSchema.parse(e)).not.toThrow();
    // an IPv4-only topology sees none of it
    const { w: v4, seen: none } = watch('leaf01');
    v4.line('@@cldemo-events@@');
    v4.line('2001:db8:1::12 dev swp1 lladdr 02:42:ac:10:01:0c REACHABLE');
    v4.line('2001:db8:1::12 dev swp1 proto 72 metric 1024 pref medium');
    expect(none).toEqual([]);
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

  test("a cabled port's link going down and up is an event naming the other end; the dump seeds, other ports and repeats say nothing", () => {
    const { w, seen } = watch('leaf01');
    const line = (n: number, dev: string, flags: string, state: string) => `${n}: ${dev}@if2: <${flags}> mtu 9216 qdisc noqueue state ${state} group default \\    link/ether 82:9d:fd:56:72:be`;
    w.line(line(2, 'swp51', 'BROADCAST,MULTICAST,UP,LOWER_UP', 'UP'));
    w.line(line(3, 'swp52', 'BROADCAST,MULTICAST,UP,LOWER_UP', 'UP'));
    w.line(line(5, 'eth0', 'BROADCAST,MULTICAST,UP,LOWER_UP', 'UP'));
    w.line('@@cldemo-events@@');
    w.line(line(2, 'swp51', 'NO-CARRIER,BROADCAST,MULTICAST,UP', 'DOWN')); // the peer pulled its end
    w.line(line(2, 'swp51', 'BROADCAST,MULTICAST', 'DOWN')); // then ours: still down
    w.line(line(5, 'eth0', 'BROADCAST,MULTICAST', 'DOWN')); // not a cabled port
    w.line(line(2, 'swp51', 'NO-CARRIER,BROADCAST,MULTICAST,UP,LOWER_UP', 'DOWN')); // on the way up: not yet
    w.line(line(2, 'swp51', 'BROADCAST,MULTICAST,UP,LOWER_UP', 'UP'));
    expect(seen).toEqual([
      { time: '2026-11-29T12:00:00.000Z', type: 'link', node: 'leaf01', action: 'down', dev: 'swp51', peer: 'spine01:swp1' },
      { time: '2026-11-29T12:00:00.000Z', type: 'link', node: 'leaf01', action: 'up', dev: 'swp51', peer: 'spine01:swp1' },
    ]);
    // the monitor lost and started again: what changed meanwhile is said once the new dump ends
    w.resync();
    w.line(line(2, 'swp51', 'BROADCAST,MULTICAST,UP,LOWER_UP', 'UP'));
    w.line(line(3, 'swp52', 'NO-CARRIER,BROADCAST,MULTICAST,UP', 'DOWN'));
    w.line('@@cldemo-events@@');
    expect(seen.slice(2).map(eventLine)).toEqual(['12:00:00.000  leaf01     link down swp52 (to spine02:swp1)']);
    for (const e of seen) expect(() => eventSchema.parse(e)).not.toThrow();
  });

  test('BFD sessions going down and up are events; the first answer seeds, no answer is no news, a session gone while up is down', () => {
    const seen: FabricEvent[] = [];
    const b = new BfdWatch('spine01', switchPlatform('frr').show.bfd!, (e) => seen.push(e), at);
    const peers = (...st: string[]) => JSON.stringify(st.map((status, i) => ({ multihop: false, peer: `fe80::${i + 1}`, local: 'fe80::99', vrf: 'default', interface: `swp${i + 1}`, status })));
    b.peers(peers('up', 'up'));
    b.peers(peers('up', 'down'));
    b.peers('');
    b.peers('% bfdd is not running');
    b.peers(peers('up', 'init'));
    b.peers(peers('up', 'up'));
    b.peers(peers('up'));
    expect(seen.map(eventLine)).toEqual([
      '12:00:00.000  spine01    bfd down fe80::2 on swp2 down',
      '12:00:00.000  spine01    bfd up fe80::2 on swp2 up',
      '12:00:00.000  spine01    bfd down fe80::2 on swp2 removed',
    ]);
    for (const e of seen) expect(() => eventSchema.parse(e)).not.toThrow();
  });

  test("Docker's events become container events with the container's address and exit code", () => {
    const e = containerEvent(plan, 'server01', { action: 'die', container: 'server01-172.16.1.11', at: 1795954627123.4, exitCode: 137 });
    expect(e).toEqual({ time: new Date(1795954627123).toISOString(), type: 'container', node: 'server01', action: 'die', container: 'server01-172.16.1.11', ip: '172.16.1.11', exit_code: 137 });
    expect(containerEvent(plan, 'server01', { action: 'kill', container: 'server01-172.16.1.11', at: 0 })).toBeUndefined();
    expect(containerEvent(plan, 'server01', { action: 'connect', container: '', at: 0 })).toBeUndefined();
    expect(eventLine(e!)).toBe(`${e!.time.slice(11, 23)}  server01   container die server01-172.16.1.11 (exit 137)`);
  });
});
