/**
 * The data-plane check's plan: who asks whom, from where. Dual stack adds, per container, a GET
 * over IPv6 from another rack's leaf (its IPv6 loopback) and one from a container in another rack
 * (inside that container's network namespace on its server). Fake nodes answer every GET.
 */
import { loadPlanSync } from '../../src/providers.js';
import { checkHttp, httpProbeCommand } from '../../src/fabric/observe/dataplane.js';
import { silentProgress, type FabricContext } from '../../src/fabric/context.js';
import type { Plan } from '../../src/topology/types.js';
import { FakeFleet } from './fake-node.js';

/** A fleet whose nodes answer each curl with 200 Apache, as the real probe command prints it. */
function answering(plan: Plan): FakeFleet {
  const fleet = new FakeFleet();
  for (const n of [...plan.switches, ...plan.servers]) {
    fleet.get(n.name).responders.push((c) => (c.includes('curl') ? { stdout: [...c.matchAll(/; echo (\S+) \$r\)/g)].map((m) => `${m[1]} 200 Apache/2.4\n`).join('') } : undefined));
  }
  for (const s of plan.servers) {
    const d = fleet.get(s.name).dockerd;
    s.containers.forEach((c, i) => d.containers.push({ Id: `${s.name}-${i}`, Names: [`/${c.name}`], Labels: {}, State: 'running', network: s.network.name, ip: c.ip }));
  }
  return fleet;
}

const context = (plan: Plan, fleet: FakeFleet): FabricContext => ({ plan, connect: fleet.connect, parallel: 4, progress: silentProgress });

describe('data-plane check', () => {
  test('IPv4 only: one GET per container from the next rack\'s leaf, from its loopback, as before', async () => {
    const plan = loadPlanSync('topology.yaml');
    const fleet = answering(plan);
    const checks = await checkHttp(context(plan, fleet), plan.containers);
    expect(checks.map((c) => `${c.ip} from ${c.from}`).slice(0, 4)).toEqual(['172.16.1.11 from leaf02', '172.16.1.12 from leaf02', '172.16.1.13 from leaf02', '172.16.1.21 from leaf03']);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(fleet.get('leaf02').ran(/curl/)[0]).toContain('--interface 10.0.0.12 http://172.16.1.11/');
    for (const s of plan.servers) expect(fleet.get(s.name).ran(/curl/)).toEqual([]);
  });

  test('dual stack: each container also over IPv6 from that leaf\'s IPv6 loopback and from a container in another rack, in its namespace', async () => {
    const plan = loadPlanSync('examples/dual-stack.yaml');
    const fleet = answering(plan);
    const checks = await checkHttp(context(plan, fleet), plan.containers);
    expect(checks.filter((c) => c.name === 'server01-172.16.1.11').map((c) => `${c.ip} from ${c.from}`)).toEqual([
      '172.16.1.11 from leaf02',
      '2001:db8:1::11 from leaf02',
      '2001:db8:1::11 from server02-172.16.1.21',
    ]);
    // the last rack asks the first
    expect(checks.filter((c) => c.name === 'server04-172.16.1.43').map((c) => c.from)).toEqual(['leaf01', 'leaf01', 'server01-172.16.1.11']);
    expect(checks).toHaveLength(36);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(fleet.get('leaf02').ran(/curl/).join('\n')).toContain('--interface 2001:db8:ffff:0:10::12 http://[2001:db8:1::11]/');
    // server02's first container is the fake's pid 1000: curl runs in its network namespace, bound to nothing
    const fromServer = fleet.get('server02').ran(/curl/).join('\n');
    expect(fromServer).toContain('nsenter -t 1000 -n curl -s -o /dev/null -D - -m 2 http://[2001:db8:1::11]/');
    expect(fromServer).not.toContain('--interface');
  });

  test('a source container that is not running fails its GETs, saying so; the leaves\' still count', async () => {
    const plan = loadPlanSync('examples/dual-stack.yaml');
    const fleet = answering(plan);
    fleet.get('server02').dockerd.containers[0].State = 'exited';
    const checks = await checkHttp(context(plan, fleet), plan.containers);
    const failed = checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual(['server01-172.16.1.11', 'server01-172.16.1.12', 'server01-172.16.1.13']);
    expect(failed[0].error).toMatch(/server02-172\.16\.1\.21 is not running on server02, so nothing was asked from it/);
  });

  test('an address reaches the shell only in its one spelling', () => {
    expect(() => httpProbeCommand('10.0.0.11', ['2001:DB8::1'])).toThrow(/RFC 5952/);
    expect(() => httpProbeCommand('10.0.0.11', ['2001:db8::1;reboot'])).toThrow(/not an IPv6 address/);
  });
});
