/**
 * The soak's checker reads a switch's routes whole after a link goes down (the kernel drops the
 * routes through the port without telling `ip monitor`). That read is older than any change the
 * monitor reports while it is under way: the monitor's word stands for those addresses. What a
 * stray does to the fabric is the stray's. And when a leaf learned a container: ARP entry -> /32
 * on every switch came out negative, dated from an ARP entry that flapped after the route was in.
 */
import type { Plan } from '../../src/topology/types.js';
import { RouteWatch } from '../../bench/lib/route-watch.js';

const plan = {
  switches: [{ name: 'leaf1', role: 'leaf' }, { name: 'spine1', role: 'spine' }],
  containers: [{ ip: '10.7.0.5', leaf: 'leaf1' }],
  redistributeNeighbor: { routeTable: 10 },
} as unknown as Plan;
const at = (s: string) => `[2026-12-01T10:00:${s}]`;

/** A watch whose dumps are answered by hand: `answer(text)` resolves the read under way. */
function manual(): { watch: RouteWatch; answer: (text: string) => void; asked: string[] } {
  const asked: string[] = [];
  let answer: (text: string) => void = () => undefined;
  const watch = new RouteWatch(plan, (sw) => sw, (sw, family) => {
    asked.push(`${sw} ${family}`);
    return new Promise((resolve) => (answer = resolve));
  });
  return { watch, answer: (text) => answer(text), asked };
}

test('a stray the agent removed while the read was under way stays removed (the read listed it)', async () => {
  const { watch, answer, asked } = manual();
  watch.onLine('leaf1', `${at('01.000000')} 10.7.0.99 dev swp1 table 10 scope link`);
  expect(watch.strays.get('leaf1 10.7.0.99')?.present).toBe(true);
  const read = watch.resync('leaf1');
  expect(asked).toEqual(['leaf1 -4']);
  watch.onLine('leaf1', `${at('01.300000')} Deleted 10.7.0.99 dev swp1 table 10 scope link`);
  answer('10.7.0.99 dev swp1 table 10 scope link\n10.7.0.5 dev swp1 table 10 proto 72 scope link\n');
  await read;
  expect(watch.strays.get('leaf1 10.7.0.99')?.present).toBe(false);
});

test("a container's route the monitor saw come while the read was under way stays (the read missed it)", async () => {
  const { watch, answer } = manual();
  watch.assume(['10.7.0.5'], false);
  const read = watch.resync('leaf1');
  watch.onLine('leaf1', `${at('02.000000')} 10.7.0.5 dev swp1 table 10 proto 72 scope link`);
  answer('');
  await read;
  expect(watch.on('leaf1', '10.7.0.5')?.present).toBe(true);
});

test('what the monitor never said is still corrected by the read: routes dropped with a port, a stray found', async () => {
  const { watch, answer } = manual();
  watch.assume(['10.7.0.5'], true);
  const read = watch.resync('spine1');
  answer('');
  await read;
  expect(watch.on('spine1', '10.7.0.5')?.present).toBe(false);
  expect(watch.on('leaf1', '10.7.0.5')?.present).toBe(true);
  const leafRead = watch.resync('leaf1');
  answer('10.7.0.99 dev swp1 table 10 scope link\n');
  await leafRead;
  expect(watch.strays.get('leaf1 10.7.0.99')?.present).toBe(true);
  expect(watch.on('leaf1', '10.7.0.5')?.present).toBe(false);
});

describe("a stray for another rack's container: what it does to the fabric is the stray's", () => {
  const two = { ...plan, switches: [...plan.switches, { name: 'leaf2', role: 'leaf' }] } as unknown as Plan;
  const ms = (s: string) => new Date(`2026-12-01T10:00:${s}`).getTime();

  test("a stopped container's /32 that came back only while leaf2 held a stray for it is explained; one that stayed from before is not", () => {
    const watch = new RouteWatch(two, (sw) => sw);
    watch.assume(['10.7.0.5'], false); // the container stopped; everyone withdrew it
    watch.onLine('leaf2', `${at('10.000000')} 10.7.0.5 dev swp1 table 10 proto 72 scope link`); // the stray
    watch.onLine('spine1', `${at('10.050000')} 10.7.0.5 nhid 18 proto bgp metric 20`);
    watch.onLine('leaf2', `${at('10.200000')} Deleted 10.7.0.5 dev swp1 table 10 proto 72 scope link`);
    watch.onLine('spine1', `${at('10.300000')} Deleted 10.7.0.5 nhid 18 proto bgp metric 20`);
    const spine = watch.on('spine1', '10.7.0.5')!;
    expect(spine).toMatchObject({ present: false, since: ms('10.300'), before: ms('10.050') });
    expect(watch.strayExplains('10.7.0.5', spine.before!, spine.since, 5000)).toBe(true);
    // present from before the stray came, or for longer than the stray and BGP's grace: not the stray's
    expect(watch.strayExplains('10.7.0.5', ms('09.000'), spine.since, 5000)).toBe(false);
    expect(watch.strayExplains('10.7.0.5', spine.before!, ms('16.000'), 5000)).toBe(false);
    expect(watch.strayExplains('10.7.0.6', spine.before!, spine.since, 5000)).toBe(false);
  });

  test('while the stray is there, anything since it came is explained', () => {
    const watch = new RouteWatch(two, (sw) => sw);
    watch.onLine('leaf2', `${at('10.000000')} 10.7.0.5 dev swp1 table 10 proto 72 scope link`);
    expect(watch.strayExplains('10.7.0.5', ms('10.100'), ms('59.000'), 5000)).toBe(true);
  });
});

describe('RouteWatch: when the leaf learned a container', () => {
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
