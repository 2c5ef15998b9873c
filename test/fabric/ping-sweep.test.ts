/**
 * ping-sweep against fake leaves whose ping script answers the way a leaf does when a
 * container has just started: not at all in the first round (the echo waited on an ARP entry
 * that then failed), at once in the next. The sweep must ping the silent ones again, and only
 * them, until they answer or its time runs out; one that never answers is reported silent.
 */
import { loadPlanSync } from '../../src/providers.js';
import { pingSweep } from '../../src/fabric/change/ping-sweep.js';
import { silentProgress, type FabricContext } from '../../src/fabric/context.js';
import type { Plan } from '../../src/topology/types.js';
import { FakeFleet } from './fake-node.js';

const plan: Plan = loadPlanSync('topology.yaml');

/** The addresses one run of the ping script asks for (the script: `... -W 1 [-I PORT] IP 2>/dev/null ...`). */
function asked(command: string): string[] {
  return [...command.matchAll(/ping(?: -6)? -n -q -c \d+ -i [\d.]+ -W \d+(?: -I \S+)? (\S+) 2>/g)].map((m) => m[1]);
}

/**
 * Every leaf answers each address it is asked for from round `from.get(ip)` on (1 if not
 * listed; Infinity: never), counting the rounds in which that leaf was asked for that address.
 */
function fleetAnswering(from: Map<string, number>): FakeFleet {
  const fleet = new FakeFleet();
  for (const leaf of plan.switches.filter((s) => s.role === 'leaf')) {
    const rounds = new Map<string, number>();
    fleet.get(leaf.name).responders.push((command) => {
      const ips = asked(command);
      if (ips.length === 0) return undefined;
      const out = ips.map((ip) => {
        const round = (rounds.get(ip) ?? 0) + 1;
        rounds.set(ip, round);
        return `${ip} ${round >= (from.get(ip) ?? 1) ? 2 : 0}\n`;
      });
      return { stdout: out.join('') };
    });
  }
  return fleet;
}

function context(fleet: FakeFleet): FabricContext {
  return { plan, connect: fleet.connect, parallel: 4, progress: silentProgress };
}

const pings = (fleet: FakeFleet, leaf: string) => fleet.get(leaf).commands.filter((c) => asked(c).length > 0).map(asked);

describe('ping-sweep', () => {
  test('a container silent in the first round is pinged again, alone, and counts as answered', async () => {
    const fleet = fleetAnswering(new Map([['172.16.1.12', 2]]));
    const report = await pingSweep(context(fleet), { waitMs: 10_000 });
    expect(report.ok).toBe(true);
    expect(report.containers.find((c) => c.ip === '172.16.1.12')).toMatchObject({ answered: true, tries: 2 });
    expect(report.containers.filter((c) => c.ip !== '172.16.1.12').map((c) => c.tries)).toEqual(Array(11).fill(1));
    expect(pings(fleet, 'leaf01')).toEqual([['172.16.1.11', '172.16.1.12', '172.16.1.13'], ['172.16.1.12']]);
    // leaves where all answered at once were asked once
    expect(pings(fleet, 'leaf02')).toHaveLength(1);
  });

  test('a container that never answers is pinged until the time is up, then reported silent; the rest still answer', async () => {
    const fleet = fleetAnswering(new Map([['172.16.1.43', Infinity]]));
    const report = await pingSweep(context(fleet), { waitMs: 2_500 });
    expect(report.ok).toBe(false);
    expect(report.wait_ms).toBe(2_500);
    expect(report.containers.filter((c) => !c.answered).map((c) => c.name)).toEqual(['server04-172.16.1.43']);
    const silent = report.containers.find((c) => c.ip === '172.16.1.43')!;
    // a round at least a second apart: three rounds fit in 2.5 s (0, 1, 2), a fourth does not start after it
    expect(silent.tries).toBeGreaterThanOrEqual(2);
    expect(silent.tries).toBeLessThanOrEqual(4);
    expect(pings(fleet, 'leaf04').slice(1)).toEqual(Array(silent.tries - 1).fill(['172.16.1.43']));
    expect(report.elapsed_ms).toBeGreaterThanOrEqual(2_000);
  });

  test('--wait 0: one round, as before; the late one is reported silent', async () => {
    const fleet = fleetAnswering(new Map([['172.16.1.21', 2]]));
    const report = await pingSweep(context(fleet), { waitMs: 0 });
    expect(report.ok).toBe(false);
    expect(report.containers.filter((c) => !c.answered).map((c) => [c.name, c.tries])).toEqual([['server02-172.16.1.21', 1]]);
    for (const leaf of ['leaf01', 'leaf02', 'leaf03', 'leaf04']) expect(pings(fleet, leaf)).toHaveLength(1);
  });

  test('--subnet: only the containers are pinged again, not every silent address of the subnet', async () => {
    const fleet = fleetAnswering(new Map([['172.16.1.31', 2], ...['172.16.1.200', '172.16.1.201'].map((ip): [string, number] => [ip, Infinity])]));
    const report = await pingSweep(context(fleet), { subnet: true, waitMs: 10_000 });
    expect(report.ok).toBe(true);
    const leaf03 = pings(fleet, 'leaf03');
    expect(leaf03[0]).toHaveLength(253); // .2 .. .254 through its one server port
    expect(leaf03.slice(1)).toEqual([['172.16.1.31']]);
    expect(report.hosts).toContainEqual({ ip: '172.16.1.31', leaf: 'leaf03' });
  });
});
