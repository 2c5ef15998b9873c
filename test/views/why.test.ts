/**
 * why: the chain judged link by link, through fake ports. The switches answer with what a real
 * dual-stack lab's switches printed for the same command (fixtures/why: healthy, and with a
 * weight on one session of leaf02); the server's Docker engine is the in-memory fake. Each
 * other fault is the healthy reading with one thing changed the way the fault changes it.
 */
import { readFileSync } from 'node:fs';
import { loadPlanSync } from '../../src/providers.js';
import { judgeWhy, whichContainer } from '../../src/fabric/observe/why.js';
import { readWhy, type WhyFacts } from '../../src/fabric/observe/why-read.js';
import { whySchema, type WhyReport } from '../../src/fabric/observe/formats.js';
import { whyText } from '../../src/commands/why.js';
import { UsageError } from '../../src/errors.js';
import { silentProgress, type FabricContext } from '../../src/fabric/context.js';
import { FakeFleet } from '../fabric/fake-node.js';

const DIR = 'test/views/fixtures/why';
const plan = loadPlanSync(`${DIR}/why.yaml`);
const target = plan.containers.find((c) => c.name === 'server01-10.110.0.11')!;
const server = plan.servers.find((s) => s.name === 'server01')!;

/** A fleet answering as the lab did in `reading` (a fixtures folder); `http` is what each GET from leaf02 gets. */
async function fleetAs(reading: string, opts: { http?: string } = {}): Promise<FakeFleet> {
  const fleet = new FakeFleet();
  for (const sw of plan.switches) {
    const text = readFileSync(`${DIR}/${reading}/${sw.name}.txt`, 'utf8');
    fleet.get(sw.name).responders.push((cmd) => (cmd.includes('@@cldemo-why@@') ? { stdout: text } : undefined));
  }
  const links = readFileSync(`${DIR}/${reading}/server01.links.json`, 'utf8');
  fleet.get('server01').on(/^ip -j link show$/, { stdout: links });
  fleet.get('leaf02').responders.push((cmd) =>
    cmd.includes('curl') ? { stdout: [...cmd.matchAll(/; echo (\S+) \$r\)/g)].map((m) => `${m[1]} ${opts.http ?? '200 Apache/2.4.71'}\n`).join('') } : undefined,
  );
  const docker = fleet.get('server01').dockerd;
  await docker.createMacvlanNetwork({ name: server.network.name, parent: server.network.parent, subnet: plan.subnet, gateway: plan.gateway, auxAddresses: {}, labels: {} });
  for (const c of server.containers) {
    const id = await docker.createContainer({ name: c.name, image: c.image, network: server.network.name, ip: c.ip, ...(c.ip6 ? { ip6: c.ip6 } : {}), labels: {} });
    await docker.startContainer(id);
  }
  const fake = docker.containers.find((c) => c.Names[0] === `/${target.name}`)!;
  fake.StartedAt = NOW - 3_600_000;
  return fleet;
}

const NOW = Date.parse('2026-12-03T23:30:00Z');

function ctxOf(fleet: FakeFleet): FabricContext {
  return { plan, connect: fleet.connect, parallel: 8, progress: silentProgress };
}

async function factsOf(reading = 'healthy', opts: { http?: string } = {}, tweak?: (fleet: FakeFleet) => void): Promise<WhyFacts> {
  const fleet = await fleetAs(reading, opts);
  tweak?.(fleet);
  return { ...(await readWhy(ctxOf(fleet), target)), now: NOW };
}

/** The report, checked against the schema, and its text checked to fit 100 columns. */
function judged(facts: WhyFacts): WhyReport {
  const r = judgeWhy(plan, target, facts);
  whySchema.parse(r);
  // eslint-disable-next-line no-control-regex
  for (const line of whyText(r).split('\n')) expect(line.replace(/\x1b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(100);
  return r;
}

describe('why: which container', () => {
  test('by name, by IPv4, by IPv6 in any spelling, by host prefix', () => {
    expect(whichContainer(plan, 'server01-10.110.0.11')).toBe(target);
    expect(whichContainer(plan, '10.110.0.11')).toBe(target);
    expect(whichContainer(plan, 'FD00:110:0:0::11')).toBe(target);
    expect(whichContainer(plan, '10.110.0.11/32')).toBe(target);
  });

  test.each(['10.110.0.99', 'nosuch', '', '1.2.3', "x'; rm -rf /", 'fd00:110::99'])('%j is bad input: one line, a usage error', (t) => {
    expect(() => whichContainer(plan, t)).toThrow(UsageError);
    try {
      whichContainer(plan, t);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
      expect((e as Error).message).toMatch(/no container of topology whyfix/);
    }
  });
});

describe('why: a healthy fabric', () => {
  test('every link holds, both families, ending with HTTP from the other rack', async () => {
    const r = judged(await factsOf());
    expect(r.ok).toBe(true);
    expect(r.broken).toBeUndefined();
    expect(r.links.map((l) => `${l.link}${l.family ?? ''}`)).toEqual([
      'topology', 'docker', 'cable', 'neighbor4', 'agent4', 'frr4', 'fabric4', 'neighbor6', 'agent6', 'frr6', 'fabric6', 'http4', 'http6',
    ]);
    expect(r.links.find((l) => l.link === 'frr')!.says).toBe('leaf01 advertises 10.110.0.11/32 on swp51 swp52');
    expect(r.links.find((l) => l.link === 'fabric' && l.family === 6)!.says).toBe('3 other switches hold fd00:110::11/128 by the expected next hops');
    expect(whyText(r)).toMatch(/all is well/);
  });

  test('the switches are asked one command each, with the prefixes of both families', async () => {
    const fleet = await fleetAs('healthy');
    await readWhy(ctxOf(fleet), target);
    for (const sw of plan.switches) {
      const ran = fleet.get(sw.name).ran(/@@cldemo-why@@/);
      expect(ran).toHaveLength(1);
      expect(ran[0]).toContain("show bgp ipv4 unicast 10.110.0.11/32 json");
      expect(ran[0]).toContain("show bgp ipv6 unicast fd00:110::11/128 json");
    }
  });
});

describe('why: the first broken link, in the fabric words, with a remedy', () => {
  test('container stopped: docker, when it exited and how, and docker start', async () => {
    const facts = await factsOf('healthy', {}, (fleet) => {
      const c = fleet.get('server01').dockerd.containers.find((x) => x.Names[0] === `/${target.name}`)!;
      Object.assign(c, { State: 'exited', ExitCode: 137, FinishedAt: NOW - 4 * 60_000 });
    });
    // the leaf has lost its ARP entry by now
    facts.switches.leaf01.answer!.neighbors = facts.switches.leaf01.answer!.neighbors.filter((n) => n.dst !== target.ip);
    const r = judged(facts);
    expect(r.broken).toMatchObject({ link: 'docker', node: 'server01' });
    expect(r.broken!.says).toBe('leaf01 has no ARP entry for 10.110.0.11: the container exited 4 min ago (exit 137) on server01');
    expect(r.broken!.remedy).toMatch(/^docker start server01-10.110.0.11 on server01, or cldemo up/);
    expect(r.links.map((l) => l.link)).toEqual(['topology', 'docker']);
  });

  test('network removed: docker, and cldemo up recreates it', async () => {
    const facts = await factsOf('healthy', {}, (fleet) => fleet.get('server01').dockerd.networks.clear());
    expect(judged(facts).broken).toMatchObject({ link: 'docker', says: expect.stringMatching(/^server01 has no Docker network server01_eth1/), remedy: expect.stringMatching(/^cldemo up/) });
  });

  test("the server's uplink admin down", async () => {
    const facts = await factsOf();
    facts.server.uplink = { port: 'eth1', exists: true, admin: 'down', carrier: null };
    facts.switches.leaf01.answer!.links!.find((l) => l.port === 'swp1')!.state = 'down';
    expect(judged(facts).broken).toMatchObject({ link: 'cable', node: 'server01', says: "server01's uplink eth1 is admin down (server01:eth1 admin down, leaf01:swp1 no carrier)", remedy: 'ip link set eth1 up on server01' });
  });

  test("the leaf's port admin down", async () => {
    const facts = await factsOf();
    facts.server.uplink = { port: 'eth1', exists: true, admin: 'up', carrier: false };
    facts.switches.leaf01.answer!.links!.find((l) => l.port === 'swp1')!.state = 'admin-down';
    expect(judged(facts).broken).toMatchObject({ link: 'cable', node: 'leaf01', says: expect.stringMatching(/^leaf01's port swp1 to server01 is admin down/) });
  });

  test('no ARP entry while the container runs: ping-sweep', async () => {
    const facts = await factsOf();
    facts.switches.leaf01.answer!.neighbors = facts.switches.leaf01.answer!.neighbors.filter((n) => n.dst !== target.ip);
    expect(judged(facts).broken).toMatchObject({ link: 'neighbor', family: 4, says: 'leaf01 has no ARP entry for 10.110.0.11 on swp1 although the container runs', remedy: expect.stringMatching(/ping-sweep/) });
  });

  test('a FAILED NDP entry breaks the IPv6 side only', async () => {
    const facts = await factsOf();
    facts.switches.leaf01.answer!.neighbors.find((n) => n.dst === target.ip6)!.state = ['FAILED'];
    const r = judged(facts);
    expect(r.broken).toMatchObject({ link: 'neighbor', family: 6, says: expect.stringMatching(/NDP entry for fd00:110::11 on swp1 is FAILED/) });
    expect(r.links.filter((l) => l.family === 4).every((l) => l.ok)).toBe(true);
  });

  test('agent stopped', async () => {
    const facts = await factsOf();
    facts.switches.leaf01.answer!.agent = { state: 'stopped', neighbors: 0 };
    expect(judged(facts).broken).toMatchObject({ link: 'agent', node: 'leaf01', says: expect.stringMatching(/redistribute-neighbor agent is not running/), remedy: expect.stringMatching(/^cldemo up/) });
  });

  test("the agent's table lacks the /32: its last word on it, and a reconcile", async () => {
    const facts = await factsOf();
    const a = facts.switches.leaf01.answer!;
    a.routes.table = a.routes.table.filter((r) => !r.dst.startsWith(target.ip));
    facts.switches.leaf01.agentSaid['10.110.0.11/32'] = { at: NOW - 12_000, words: 'route del 10.110.0.11/32 dev swp1 table 10: no ARP reply for 3s' };
    expect(judged(facts).broken).toMatchObject({
      link: 'agent',
      says: "leaf01's agent holds no 10.110.0.11/32 in table 10; its last word on it (12 s ago): route del 10.110.0.11/32 dev swp1 table 10: no ARP reply for 3s",
      remedy: 'kill -HUP "$(cat /run/rdnbrd.pid)" on leaf01 (it reads its neighbors again)',
    });
  });

  test('FRR stopped on the leaf: the way to start it', async () => {
    const facts = await factsOf();
    facts.switches.leaf01.vtysh = ['show ip bgp summary json, show ip route json: Exiting: failed to connect to any daemons.'];
    expect(judged(facts).broken).toMatchObject({
      link: 'frr',
      node: 'leaf01',
      says: 'FRR on leaf01 does not answer (vtysh: Exiting: failed to connect to any daemons.)',
      remedy: '/usr/lib/frr/frrinit.sh start on leaf01',
    });
  });

  test('a BGP session shut down at the leaf: named on the spine that lost the route, mended on the leaf', async () => {
    const facts = await factsOf();
    const spine = facts.switches.spine01.answer!;
    delete spine.routes.rib['10.110.0.11/32'];
    spine.bgp.find((p) => p.name === 'swp1')!.state = 'Active';
    facts.switches.leaf01.sessions!.find((s) => s.name === 'swp51')!.adminShutdown = true;
    expect(judged(facts).broken).toMatchObject({
      link: 'fabric',
      node: 'leaf01',
      says: 'spine01 does not hold 10.110.0.11/32: its BGP session on swp1 with leaf01 is Active (shut down on leaf01: neighbor swp51 shutdown)',
      remedy: expect.stringMatching(/^\/usr\/lib\/frr\/frr-reload.py --reload \/etc\/frr\/frr.conf on leaf01/),
    });
  });

  test('a route filtered on the way in', async () => {
    const facts = await factsOf();
    delete facts.switches.spine01.answer!.routes.rib['10.110.0.11/32'];
    facts.switches.spine01.sessions!.find((s) => s.name === 'swp1')!.inbound.ipv4 = ['prefix-list WHYDENY'];
    expect(judged(facts).broken).toMatchObject({ link: 'fabric', node: 'spine01', says: 'spine01 does not hold 10.110.0.11/32: it filters what leaf01 sends on swp1 (prefix-list WHYDENY in)' });
  });

  test('a route filtered on the way out of the leaf', async () => {
    const facts = await factsOf();
    const entry = facts.switches.leaf01.bgp['10.110.0.11/32']!;
    entry.advertisedTo = entry.advertisedTo.filter((p) => p !== 'swp52');
    facts.switches.leaf01.sessions!.find((s) => s.name === 'swp52')!.outbound.ipv4 = ['route-map DENY'];
    expect(judged(facts).broken).toMatchObject({ link: 'frr', says: 'leaf01 does not advertise 10.110.0.11/32 on swp52: route-map DENY out on swp52' });
  });

  test('a wrong next hop (real reading: a weight on one of leaf02 sessions)', async () => {
    const r = judged(await factsOf('weight'));
    expect(r.broken).toMatchObject({
      link: 'fabric',
      family: 4,
      node: 'leaf02',
      says: 'leaf02 reaches 10.110.0.11/32 by swp51, expected swp51 swp52: the path over swp51 wins on Weight (weight 100 over swp51, 0 over swp52), so swp52 is not used',
    });
  });

  test('a fabric link down on the way', async () => {
    const facts = await factsOf();
    delete facts.switches.spine02.answer!.routes.rib['10.110.0.11/32'];
    facts.switches.spine02.answer!.links!.find((l) => l.port === 'swp1')!.state = 'admin-down';
    facts.switches.leaf01.answer!.links!.find((l) => l.port === 'swp52')!.state = 'down';
    expect(judged(facts).broken).toMatchObject({ link: 'fabric', node: 'spine02', says: expect.stringMatching(/^spine02 does not hold 10.110.0.11\/32: the link spine02:swp1 -- leaf01:swp52 is down/) });
  });

  test('HTTP not answering from the other rack', async () => {
    const r = judged(await factsOf('healthy', { http: '0' }));
    expect(r.broken).toMatchObject({ link: 'http', family: 4, node: 'leaf02', says: 'GET http://10.110.0.11/ from leaf02 (10.0.100.2) had no answer' });
  });

  test("a server whose dockerd does not answer", async () => {
    const facts = await factsOf('healthy', {}, (fleet) => {
      fleet.get('server01').dockerd.up = false;
    });
    expect(judged(facts).broken).toMatchObject({ link: 'docker', says: expect.stringMatching(/^server01's Docker engine did not answer/) });
  });

  test('an unreachable spine is said as such, not as a missing route', async () => {
    const fleet = await fleetAs('healthy');
    fleet.unreachable.add('spine02');
    const r = judged({ ...(await readWhy(ctxOf(fleet), target)), now: NOW });
    expect(r.broken).toMatchObject({ link: 'fabric', node: 'spine02', says: expect.stringMatching(/^spine02 could not be read: cannot open SSH/) });
  });
});
