/**
 * Which switches the soak's checker expects to hold a leaf's /32s while a fabric link is down:
 * BGP's rule, a path that would hold a switch's own AS twice is refused, so a spine cut off
 * from a leaf does not learn its routes back through another leaf and spine.
 */
import { join } from 'node:path';
import { loadPlan } from '../../src/providers.js';
import { bgpReach } from '../../bench/soak.js';

const plan = await loadPlan(join(process.cwd(), 'topology.yaml'));
const key = (a: string, b: string) => {
  const l = plan.links.find((x) => `${x.a.node}:${x.a.port}` === a && `${x.b.node}:${x.b.port}` === b)!;
  return `${l.a.node}:${l.a.port}-${l.b.node}:${l.b.port}`;
};

test('every link up: every switch holds every leaf\'s routes', () => {
  for (const leaf of ['leaf01', 'leaf02', 'leaf03', 'leaf04']) expect([...bgpReach(plan, new Set(), leaf)].sort()).toEqual(['leaf01', 'leaf02', 'leaf03', 'leaf04', 'spine01', 'spine02']);
});

test('spine01-leaf04 down: spine01 loses leaf04 (not back through leaf01 and spine02), the leaves keep it through spine02', () => {
  const down = new Set([key('spine01:swp4', 'leaf04:swp51')]);
  expect([...bgpReach(plan, down, 'leaf04')].sort()).toEqual(['leaf01', 'leaf02', 'leaf03', 'leaf04', 'spine02']);
  expect([...bgpReach(plan, down, 'leaf01')].sort()).toEqual(['leaf01', 'leaf02', 'leaf03', 'leaf04', 'spine01', 'spine02']);
});

test('both of leaf04\'s uplinks down: nobody else holds its routes, and it holds nobody\'s', () => {
  const down = new Set([key('spine01:swp4', 'leaf04:swp51'), key('spine02:swp4', 'leaf04:swp52')]);
  expect([...bgpReach(plan, down, 'leaf04')]).toEqual(['leaf04']);
  expect(bgpReach(plan, down, 'leaf01').has('leaf04')).toBe(false);
});
