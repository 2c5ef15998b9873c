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
