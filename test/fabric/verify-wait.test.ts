/**
 * verify-routes --wait: the report is one moment of the fabric. A switch or a container page
 * that held in an early round and broke later must show as broken, not as it once was.
 */
import { loadPlanSync } from '../../src/providers.js';
import { silentProgress, type FabricContext } from '../../src/fabric/context.js';
import { verifyRoutes } from '../../src/fabric/observe/verify-routes.js';
import type { Plan, SwitchPlan } from '../../src/topology/types.js';
import { FakeFleet } from './fake-node.js';

const plan: Plan = loadPlanSync('topology.yaml');

/** The default fabric's healthy routes, written out: spines via the container's leaf (swpN for leaf0N), leaves via both spines. */
function routes(sw: SwitchPlan, drop: string[]): string {
  const rib: Record<string, unknown> = {};
  const table: unknown[] = [];
  for (const c of plan.containers) {
    if (drop.includes(c.ip)) continue;
    if (c.leaf === sw.name) table.push({ dst: c.ip, dev: c.leafPort });
    else {
      const ports = sw.role === 'spine' ? [`swp${c.leaf.slice(-1)}`] : ['swp51', 'swp52'];
      rib[`${c.ip}/32`] = [{ prefix: `${c.ip}/32`, protocol: 'bgp', selected: true, installed: true, nexthops: ports.map((p) => ({ interfaceName: p, active: true, fib: true })) }];
    }
  }
  return sw.role === 'leaf' ? `${JSON.stringify(rib)}\n@@cldemo-table@@\n${JSON.stringify(table)}` : JSON.stringify(rib);
}

/**
 * A fabric that changes under the check: spine01 loses 172.16.1.11 after its first read,
 * leaf01 gains 172.16.1.33 at its second; 172.16.1.21's page answers once, then no more,
 * while 172.16.1.31's answers from the second fetch on.
 */
function changingFabric(): { ctx: FabricContext; reads: Map<string, number> } {
  const fleet = new FakeFleet();
  const reads = new Map<string, number>();
  const fetches = new Map<string, number>();
  for (const sw of plan.switches) {
    fleet.get(sw.name).responders.push((command) => {
      if (!command.includes('show ip route json')) return undefined;
      const n = (reads.get(sw.name) ?? 0) + 1;
      reads.set(sw.name, n);
      const drop = sw.name === 'spine01' && n > 1 ? ['172.16.1.11'] : sw.name === 'leaf01' && n === 1 ? ['172.16.1.33'] : [];
      return { stdout: routes(sw, drop) };
    });
    fleet.get(sw.name).responders.push((command) => {
      if (!command.includes('curl')) return undefined;
      const lines = [...command.matchAll(/http:\/\/([\d.]+)\//g)].map(([, ip]) => {
        const n = (fetches.get(ip) ?? 0) + 1;
        fetches.set(ip, n);
        const answers = (ip === '172.16.1.21' && n > 1) || (ip === '172.16.1.31' && n === 1) ? '0' : '200 Apache/2.4.71';
        return `${ip} ${answers}`;
      });
      return { stdout: lines.join('\n') };
    });
  }
  return { ctx: { plan, connect: fleet.connect, parallel: 8, progress: silentProgress }, reads };
}

describe('verify-routes --wait', () => {
  test('every round reads every switch and fetches every page: the report is the last round, whole', async () => {
    const { ctx, reads } = changingFabric();
    const report = await verifyRoutes(ctx, { waitS: 1.5 });
    const spine01 = report.switches.find((s) => s.name === 'spine01')!;
    expect(spine01).toMatchObject({ ok: false, missing: ['172.16.1.11/32'] });
    expect(report.switches.find((s) => s.name === 'leaf01')).toMatchObject({ ok: true, missing: [] });
    expect(report.dataplane!.filter((d) => !d.ok).map((d) => d.ip)).toEqual(['172.16.1.21']);
    expect(report.ok).toBe(false);
    // one read per switch per round, the same number for all
    expect(new Set(reads.values()).size).toBe(1);
    expect([...reads.values()][0]).toBeGreaterThanOrEqual(2);
  });

  test('a fabric that holds on the first round is read once', async () => {
    const fleet = new FakeFleet();
    const reads: string[] = [];
    for (const sw of plan.switches) {
      fleet.get(sw.name).responders.push((command) => (command.includes('show ip route json') ? (reads.push(sw.name), { stdout: routes(sw, []) }) : undefined));
    }
    const report = await verifyRoutes({ plan, connect: fleet.connect, parallel: 8, progress: silentProgress }, { waitS: 5, dataplane: false });
    expect(report.ok).toBe(true);
    expect(reads.sort()).toEqual(plan.switches.map((s) => s.name).sort());
  });
});
