import { loadPlanSync } from '../../src/topology/index.js';
import { generateTopology, requiredPrefix } from '../../src/topology/generate.js';

describe('generate', () => {
  it.each([
    [2, 4, 1, 3],
    [2, 8, 1, 32],
    [2, 8, 3, 1],
    [4, 32, 2, 16],
    [1, 1, 1, 0],
  ])('spines %i, leaves %i, %i servers per leaf, %i containers each: a valid topology', (spines, leaves, spl, cps) => {
    const plan = loadPlanSync('gen.yaml', generateTopology({ spines, leaves, serversPerLeaf: spl, containersPerServer: cps }));
    expect(plan.switches.filter((s) => s.role === 'spine')).toHaveLength(spines);
    expect(plan.servers).toHaveLength(leaves * spl);
    expect(plan.containers).toHaveLength(leaves * spl * cps);
    expect(new Set(plan.containers.map((c) => c.ip)).size).toBe(plan.containers.length);
    for (const l of plan.switches.filter((s) => s.role === 'leaf')) expect(l.fabricPorts).toHaveLength(spines);
  });

  it('grows the subnet past a /24 when the containers need it', () => {
    expect(requiredPrefix(200)).toBe(24);
    expect(requiredPrefix(264)).toBe(23);
    expect(requiredPrefix(4000)).toBe(20);
    expect(loadPlanSync('g.yaml', generateTopology({ spines: 2, leaves: 16, serversPerLeaf: 2, containersPerServer: 100 })).subnet).toBe('172.16.0.0/20');
  });

  it('refuses a subnet that is too small', () => {
    expect(() => generateTopology({ spines: 2, leaves: 4, serversPerLeaf: 1, containersPerServer: 100, subnet: '10.1.0.0/24' })).toThrow(/usable addresses, 404 needed/);
  });
});
