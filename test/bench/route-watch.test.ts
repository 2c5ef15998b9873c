/**
 * The soak's checker reads a switch's routes whole after a link goes down (the kernel drops the
 * routes through the port without telling `ip monitor`). That read is older than any change the
 * monitor reports while it is under way: the monitor's word stands for those addresses.
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
  const two = {
    switches: [{ name: 'leaf1', role: 'leaf' }, { name: 'leaf2', role: 'leaf' }, { name: 'spine1', role: 'spine' }],
    containers: [{ ip: '10.7.0.5', leaf: 'leaf1' }],
    redistributeNeighbor: { routeTable: 10 },
  } as unknown as Plan;
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
