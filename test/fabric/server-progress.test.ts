/**
 * A server's progress lines during `up`: the bench reads its phases from them
 * (bench/lib/up-phases.ts), so their order and form are part of the contract.
 */
import { loadPlanSync } from '../../src/providers.js';
import { renderAll } from '../../src/render/index.js';
import { upServer } from '../../src/fabric/change/servers.js';
import type { FabricContext, OnProgress } from '../../src/fabric/context.js';
import type { Plan } from '../../src/topology/types.js';
import { upPhases } from '../../bench/lib/up-phases.js';
import { FakeFleet } from './fake-node.js';

const plan: Plan = loadPlanSync('topology.yaml');

/** Step events as the CLI prints them when stderr is not a terminal (`NODE: DOING`). */
function recording(): { progress: OnProgress; lines: string[] } {
  const lines: string[] = [];
  return { lines, progress: (e) => void (e.kind === 'step' && lines.push(`${e.node}: ${e.doing}`)) };
}

describe("a server's progress during up", () => {
  test('uplink config, docker, network, address check, then every container counted', async () => {
    const fleet = new FakeFleet();
    const server = plan.servers[0];
    fleet.get(server.name).dockerd.images.add(plan.image);
    const { progress, lines } = recording();
    const ctx: FabricContext = { plan, connect: fleet.connect, parallel: 4, progress };
    await upServer(ctx, server, { dryRun: false, files: renderAll(plan).get(server.name)!, containerParallel: 2 });
    const n = server.containers.length;
    expect(lines).toEqual([
      `${server.name}: uplink config`,
      `${server.name}: docker`,
      `${server.name}: network ${server.network.name}`,
      `${server.name}: checking ${n} addresses are free (arping from ${server.uplink.leaf})`,
      ...Array.from({ length: n + 1 }, (_, i) => `${server.name}: containers ${i}/${n} started`),
    ]);
    const phases = upPhases(lines.map((line, ms) => ({ ms, line })));
    expect(phases.containers).toEqual([n]);
  });

  test('a second up with every container running counts nothing', async () => {
    const fleet = new FakeFleet();
    const server = plan.servers[0];
    fleet.get(server.name).dockerd.images.add(plan.image);
    const files = renderAll(plan).get(server.name)!;
    await upServer({ plan, connect: fleet.connect, parallel: 4, progress: recording().progress }, server, { dryRun: false, files });
    const { progress, lines } = recording();
    await upServer({ plan, connect: fleet.connect, parallel: 4, progress }, server, { dryRun: false, files });
    expect(lines.filter((l) => /containers|checking/.test(l))).toEqual([]);
  });
});
