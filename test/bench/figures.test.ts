/**
 * A bench figure is either defined so that it cannot be negative (a sample below zero is then
 * an error, not a median) or signed with what a value below zero means. And the one that came
 * out negative when it could not be: ARP entry -> /32 on every switch, dated from an ARP entry
 * that flapped after the route was in.
 */
import { figure } from '../../bench/lib/measure.js';
import { RouteWatch } from '../../bench/lib/route-watch.js';
import type { Plan } from '../../src/topology/types.js';

describe('figure', () => {
  test('a figure that cannot be negative fails on a sample below zero, naming it', () => {
    const f = figure('x.y', 'a to b', [120, -11.7, 30]);
    expect(f.value).toBeNull();
    expect(f.error).toBe('a sample below zero (-11.7 ms), which this figure cannot be by its definition: a clock or the measurement is wrong');
    expect(f.signed).toBeUndefined();
  });

  test('zero is a value (a share, memory that did not grow)', () => {
    expect(figure('x.share', 'share', [0, 0, 1], { unit: 'ratio' })).toMatchObject({ value: 0, median: 0, p95: 1, min: 0 });
    expect(figure('x.share', 'share', [0, 0, 1], { unit: 'ratio' }).error).toBeUndefined();
  });

  test('a signed figure keeps its negative samples and says what they mean', () => {
    const f = figure('x.start_to_arp', 'start -> ARP', [-35.6, -11.7, 4], { signed: 'heard before Docker said start' });
    expect(f).toMatchObject({ value: -11.7, min: -35.6, signed: true, below_zero: 'heard before Docker said start' });
    expect(f.error).toBeUndefined();
  });
});

describe('RouteWatch: when the leaf learned a container', () => {
  const plan = {
    switches: [{ name: 'leaf1', role: 'leaf' }, { name: 'spine1', role: 'spine' }],
    containers: [{ ip: '10.7.0.5', leaf: 'leaf1' }],
    redistributeNeighbor: { routeTable: 10 },
  } as unknown as Plan;
  const at = (s: string) => `[2026-12-01T10:00:${s}]`;

  test('the first live ARP entry since it was assumed gone, not one that came back after the route', () => {
    const watch = new RouteWatch(plan, (sw) => sw);
    watch.assume(['10.7.0.5'], false);
    watch.onLine('leaf1', `${at('01.000000')} 10.7.0.5 dev swp1 lladdr 02:42:0a:07:00:05 REACHABLE`);
    watch.onLine('leaf1', `${at('01.100000')} 10.7.0.5 dev swp1 table 10 proto 72 scope link`);
    watch.onLine('spine1', `${at('01.300000')} 10.7.0.5 nhid 18 proto bgp metric 20`);
    // the entry flaps after the route is in: the route stays
    watch.onLine('leaf1', `${at('02.000000')} 10.7.0.5 dev swp1 FAILED`);
    watch.onLine('leaf1', `${at('02.500000')} 10.7.0.5 dev swp1 lladdr 02:42:0a:07:00:05 REACHABLE`);
    const arp = watch.arpSince.get('10.7.0.5')!;
    const everywhere = watch.everywhereSince('10.7.0.5', true)!;
    expect(everywhere - arp).toBe(300); // was -1200: dated from the entry that came back
  });

  test('assumed gone again (the next round), the next live entry dates it', () => {
    const watch = new RouteWatch(plan, (sw) => sw);
    watch.assume(['10.7.0.5'], false);
    watch.onLine('leaf1', `${at('01.000000')} 10.7.0.5 dev swp1 lladdr 02:42:0a:07:00:05 REACHABLE`);
    watch.assume(['10.7.0.5'], false);
    watch.onLine('leaf1', `${at('05.000000')} 10.7.0.5 dev swp1 lladdr 02:42:0a:07:00:05 REACHABLE`);
    expect(watch.arpSince.get('10.7.0.5')).toBe(new Date(2026, 11, 1, 10, 0, 5).getTime());
  });

  test("dual stack: a container's /128 counts by the agent's route in main on its leaf and BGP elsewhere, apart from its /32", () => {
    const dual = { ...plan, ipv6: { prefix: '2001:db8:7::/64' }, containers: [{ ip: '10.7.0.5', ip6: '2001:db8:7::5', leaf: 'leaf1' }] } as unknown as Plan;
    const watch = new RouteWatch(dual, (sw) => sw);
    watch.assume(['10.7.0.5', '2001:db8:7::5'], false);
    watch.onLine('leaf1', `${at('01.000000')} 2001:db8:7::5 dev swp1 lladdr 02:42:0a:07:00:05 REACHABLE`);
    watch.onLine('leaf1', `${at('01.100000')} 2001:db8:7::5 dev swp1 proto 72 metric 1024 pref medium`);
    watch.onLine('spine1', `${at('01.200000')} 2001:db8:7::5 nhid 30 via fe80::1 dev swp1 proto bgp metric 20 pref medium`);
    expect(watch.everywhereSince('2001:db8:7::5', true)! - watch.arpSince.get('2001:db8:7::5')!).toBe(200);
    expect(watch.everywhereSince('10.7.0.5', true)).toBeUndefined();
    watch.onLine('spine1', `${at('03.000000')} Deleted 2001:db8:7::5 nhid 30 via fe80::1 dev swp1 proto bgp metric 20 pref medium`);
    watch.onLine('leaf1', `${at('02.900000')} Deleted 2001:db8:7::5 dev swp1 proto 72 metric 1024 pref medium`);
    expect(watch.everywhereSince('2001:db8:7::5', false)).toBe(new Date(2026, 11, 1, 10, 0, 3).getTime());
  });

  test('a NOARP entry is not learned, as the agent and events read it (nothing answered)', () => {
    const watch = new RouteWatch(plan, (sw) => sw);
    watch.assume(['10.7.0.5'], false);
    watch.onLine('leaf1', `${at('01.000000')} 10.7.0.5 dev swp1 NOARP`);
    expect(watch.arpSince.has('10.7.0.5')).toBe(false);
    watch.onLine('leaf1', `${at('02.000000')} 10.7.0.5 dev swp1 lladdr 02:42:0a:07:00:05 STALE`);
    expect(watch.arpSince.get('10.7.0.5')).toBe(new Date(2026, 11, 1, 10, 0, 2).getTime());
  });
});
