/** status: the switch's one command is parsed and the fabric judged, from canned answers. */
import { loadPlanSync } from '../../src/providers.js';
import { judge, parseSwitchStatus, switchStatusCommand, type SwitchAnswer } from '../../src/fabric/observe/status.js';
import { statusSchema } from '../../src/fabric/observe/formats.js';
import { sameFailures } from '../../src/fabric/failures.js';
import type { NodeOutcome } from '../../src/fabric/context.js';
import type { Plan, SwitchPlan } from '../../src/topology/types.js';

const plan = loadPlanSync('topology.yaml');
const MARK = '\n@@cldemo-status@@\n';

function bgp(sw: SwitchPlan, down: string[] = []): string {
  const peers = Object.fromEntries(sw.fabricPorts.map((p) => [p.port, { hostname: p.peer, state: down.includes(p.port) ? 'Active' : 'Established' }]));
  return JSON.stringify({ ipv4Unicast: { routerId: sw.loopback, peers } });
}

/** One family's RIB and agent table as a healthy switch holds them: every container's host route by the path the plan expects. */
function hostRoutes(p: Plan, sw: SwitchPlan, address: (c: Plan['containers'][number]) => string | undefined, len: number, drop: string[]) {
  const rib: Record<string, unknown> = {};
  const table: unknown[] = [];
  for (const c of p.containers) {
    const ip = address(c);
    if (ip === undefined || drop.includes(ip)) continue;
    if (c.leaf === sw.name) table.push({ dst: ip, dev: c.leafPort, protocol: '72' });
    else {
      const ports = sw.role === 'leaf' ? sw.fabricPorts.map((f) => f.port) : sw.fabricPorts.filter((f) => f.peer === c.leaf).map((f) => f.port);
      rib[`${ip}/${len}`] = [{ prefix: `${ip}/${len}`, protocol: 'bgp', selected: true, installed: true, nexthops: ports.map((i) => ({ interfaceName: i, active: true, fib: true })) }];
    }
  }
  return { rib: JSON.stringify(rib), table: table.length ? JSON.stringify(table) : '' };
}

/** What a healthy switch answers: every container /32 (and, dual stack, /128) by the path the plan expects. */
function healthy(p: Plan, sw: SwitchPlan, opts: { down?: string[]; drop?: string[]; arp?: Record<string, string> } = {}): string {
  const v4 = hostRoutes(p, sw, (c) => c.ip, 32, opts.drop ?? []);
  const v6 = hostRoutes(p, sw, (c) => c.ip6, 128, opts.drop ?? []);
  const mine = p.containers.filter((c) => c.leaf === sw.name);
  const neigh = mine.flatMap((c) => [c.ip, ...(c.ip6 ? [c.ip6] : [])].map((ip) => ({ dst: ip, dev: c.leafPort, state: [opts.arp?.[ip] ?? 'REACHABLE'] })));
  const dual = p.ipv6 ? `\n@@cldemo-table@@\n${v6.rib}\n@@cldemo-table@@\n${v6.table}` : '';
  const routes = `${v4.rib}\n\n@@cldemo-table@@\n${v4.table}${dual}`;
  const agent = sw.role === 'leaf' ? 'running 4242 node /usr/local/lib/cldemo/rdnbrd-0123456789abcdef/main.js --config /etc/rdnbrd.conf' : '';
  return [bgp(sw, opts.down), routes, JSON.stringify(neigh), agent].join(MARK);
}

function answers(p: Plan, tweak: (sw: SwitchPlan) => Parameters<typeof healthy>[2] = () => ({})): NodeOutcome<SwitchAnswer>[] {
  return p.switches.map((sw) => ({ node: sw.name, ok: true, value: parseSwitchStatus(healthy(p, sw, tweak(sw)), sw) }));
}

function dockers(p: Plan, state: (name: string) => string | undefined = () => 'running'): NodeOutcome<Map<string, string>>[] {
  return p.servers.map((s) => ({ node: s.name, ok: true, value: new Map(s.containers.flatMap((c) => (state(c.name) ? [[c.name, state(c.name)!] as [string, string]] : []))) }));
}

const time = { started: 1000, now: 1400 };

describe('status, dual stack', () => {
  const dual = loadPlanSync('examples/dual-stack.yaml');

  test("the switch's command reads the IPv6 RIB, the agent's /128s and both families' neighbors", () => {
    const leaf = dual.switches.find((s) => s.role === 'leaf')!;
    const cmd = switchStatusCommand(dual, leaf);
    expect(cmd).toContain("show ipv6 route json");
    expect(cmd).toContain('ip -6 -j route show table main proto 72');
    expect(cmd).toContain('ip -j neigh show');
    expect(switchStatusCommand(plan, leaf)).not.toMatch(/ipv6|-6/);
  });

  test('healthy: /32s and /128s full on every switch, both neighbor states, the report fits its schema', () => {
    const r = judge(dual, answers(dual), dockers(dual), time);
    expect(r.problems).toEqual([]);
    const leaf03 = r.switches.find((s) => s.name === 'leaf03')!;
    expect(leaf03.routes6).toMatchObject({ expected: 12, present: 12 });
    expect(leaf03.agent).toMatchObject({ neighbors: 3, neighbors6: 3 });
    expect(r.containers[0]).toMatchObject({ ip6: '2001:db8:1::11', nd: 'REACHABLE', routed6_on: 6, routed_on: 6 });
    expect(() => statusSchema.parse(r)).not.toThrow();
  });

  test('a /128 missing everywhere and a neighbor entry that failed are each their own problem', () => {
    const r = judge(dual, answers(dual, () => ({ drop: ['2001:db8:1::32'], arp: { '2001:db8:1::32': 'FAILED' } })), dockers(dual), time);
    expect(r.problems).toEqual([
      'spine01, spine02, leaf01, leaf02, leaf03, leaf04: /128s 11/12, missing 2001:db8:1::32/128',
      'container no live neighbor (NDP) entry on its leaf (run cldemo ping-sweep): server03-172.16.1.32',
    ]);
    const ok = judge(dual, answers(dual, () => ({ drop: ['2001:db8:1::32'] })), dockers(dual), time);
    expect(ok.problems[1]).toBe('container /128 missing on some switches: server03-172.16.1.32 (0/6)');
  });
});

describe('status', () => {
  test("a switch's command asks for BGP, routes, neighbors and (on a leaf) the agent, in one line of shell", () => {
    const leaf = plan.switches.find((s) => s.role === 'leaf')!;
    const cmd = switchStatusCommand(plan, leaf);
    expect(cmd).toContain("show ip bgp summary json");
    expect(cmd).toContain('ip -j route show table 10');
    expect(cmd).toContain('ip -j -4 neigh show');
    expect(cmd).toContain('/run/rdnbrd.pid');
  });

  test('a healthy fabric is ok, with every count full, and the report fits its schema', () => {
    const r = judge(plan, answers(plan), dockers(plan), time);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    const leaf01 = r.switches.find((s) => s.name === 'leaf01')!;
    expect(leaf01.bgp).toMatchObject({ up: 2, total: 2 });
    expect(leaf01.routes).toMatchObject({ expected: 12, present: 12, missing: [] });
    expect(leaf01.agent).toEqual({ state: 'running', pid: 4242, version: '0123456789abcdef', neighbors: 3 });
    expect(r.containers.every((c) => c.state === 'running' && c.arp === 'REACHABLE' && c.routed_on === 6)).toBe(true);
    expect(r.elapsed_ms).toBe(400);
    expect(() => statusSchema.parse(r)).not.toThrow();
  });

  test('a field the schema does not declare fails it, at any depth (the schemas are strict: the document cannot grow unseen)', () => {
    const r = judge(plan, answers(plan), dockers(plan), time);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a document to spoil at any depth
    type Doc = any;
    const add = (change: (doc: Doc) => void) => {
      const doc: Doc = JSON.parse(JSON.stringify(r));
      change(doc);
      return () => statusSchema.parse(doc);
    };
    expect(add(() => undefined)).not.toThrow();
    expect(add((d) => (d.extra = 1))).toThrow(/extra/);
    expect(add((d) => (d.switches[0].uptime = 5))).toThrow(/uptime/);
    expect(add((d) => (d.switches[0].bgp.peers[0].asn = 65020))).toThrow(/asn/);
    expect(add((d) => (d.switches[2].agent.rss = 1))).toThrow(/rss/);
    expect(add((d) => (d.containers[0].mac = 'x'))).toThrow(/mac/);
  });

  test('a stopped container, a failed ARP entry and a BGP session down are each named', () => {
    const r = judge(
      plan,
      answers(plan, (sw) => (sw.name === 'leaf02' ? { down: ['swp52'], drop: ['172.16.1.12'] } : sw.name === 'leaf01' ? { arp: { '172.16.1.12': 'FAILED' }, drop: ['172.16.1.12'] } : { drop: ['172.16.1.12'] })),
      dockers(plan, (n) => (n === 'server03-172.16.1.31' ? 'exited' : 'running')),
      time,
    );
    expect(r.ok).toBe(false);
    expect(r.problems).toContain('leaf02: BGP 1/2 sessions up (down: swp52 Active)');
    expect(r.problems).toContain('container not running (exited): server03-172.16.1.31');
    expect(r.problems).toContain('container no live ARP entry on its leaf (run cldemo ping-sweep): server01-172.16.1.12');
    expect(r.problems).toContain('spine01, spine02, leaf01, leaf02, leaf03, leaf04: /32s 11/12, missing 172.16.1.12/32');
    expect(r.containers.find((c) => c.name === 'server01-172.16.1.12')).toMatchObject({ arp: 'FAILED', routed_on: 0 });
  });

  test('unreachable nodes with the same failure are said once, with the list of nodes', () => {
    const err = 'cannot read known_hosts file /var/lib/cldemo/x/known_hosts: ENOENT';
    const sw = plan.switches.map((s) => ({ node: s.name, ok: false, error: err }));
    const sv = plan.servers.map((s) => ({ node: s.name, ok: false, error: err }));
    const r = judge(plan, sw, sv, time);
    expect(r.problems).toEqual([`${[...plan.switches, ...plan.servers].map((n) => n.name).join(', ')}: ${err}`]);
    expect(r.containers.every((c) => c.state === 'unknown' && c.arp === 'unknown')).toBe(true);
  });

  test('sameFailures treats messages that differ only by the node address as one', () => {
    expect(
      sameFailures([
        { node: 'a', host: '10.0.0.1', error: 'cannot open SSH to root@10.0.0.1:22: connect ECONNREFUSED 10.0.0.1:22' },
        { node: 'b', host: '10.0.0.2', error: 'cannot open SSH to root@10.0.0.2:22: connect ECONNREFUSED 10.0.0.2:22' },
        { node: 'c', error: 'something else\nwith detail' },
      ]),
    ).toEqual(['a, b: cannot open SSH to root@<mgmt address>:22: connect ECONNREFUSED <mgmt address>:22', 'c: something else\nwith detail']);
  });

  test("each switch's cabled ports: a link down is one problem naming how each end sees it; the impairments in force are listed, not problems", () => {
    const portsOf = (sw: SwitchPlan, down: Record<string, string[]>) =>
      JSON.stringify([
        { ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'] },
        ...[...sw.fabricPorts.map((f) => f.port), ...sw.serverPorts.map((p) => p.port)].map((port) => ({ ifname: port, flags: down[`${sw.name}:${port}`] ?? ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'] })),
      ]);
    const down = { 'spine01:swp1': ['BROADCAST', 'MULTICAST'], 'leaf01:swp51': ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'] };
    const outcomes = plan.switches.map((sw) => ({ node: sw.name, ok: true, value: parseSwitchStatus(`${healthy(plan, sw)}${MARK}${portsOf(sw, down)}`, sw) }));
    const impaired = [{ link: 'spine02:swp1 -- leaf01:swp52', impair: { loss: 20, rate: 1e7 }, ends: ['spine02:swp1', 'leaf01:swp52'], partial: false }];
    const r = judge(plan, outcomes, dockers(plan), time, impaired);
    expect(r.problems).toEqual(['link spine01:swp1 -- leaf01:swp51 down (spine01:swp1 admin down, leaf01:swp51 no carrier)']);
    expect(r.switches.find((s) => s.name === 'leaf01')!.links).toEqual([
      { port: 'swp51', peer: 'spine01:swp1', state: 'down' },
      { port: 'swp52', peer: 'spine02:swp1', state: 'up' },
      { port: 'swp1', peer: 'server01:eth1', state: 'up' },
    ]);
    expect(r.impairments).toEqual(impaired);
    expect(() => statusSchema.parse(r)).not.toThrow();
    expect(switchStatusCommand(plan, plan.switches[0])).toMatch(/; ip -j link show$/);
    // impairments that could not be read are a problem; a provider that cannot say leaves them out
    expect(judge(plan, answers(plan), dockers(plan), time, 'impairments could not be read: x').problems).toEqual(['impairments could not be read: x']);
    expect(judge(plan, answers(plan), dockers(plan), time)).not.toHaveProperty('impairments');
  });

  test('a switch without BGP configured yet (before cldemo up) says so', () => {
    const sw = plan.switches[0];
    const a = parseSwitchStatus(['% BGP instance not found', '{}\n\n@@cldemo-table@@\n', '[]', ''].join(MARK), sw);
    const r = judge(plan, plan.switches.map((s) => ({ node: s.name, ok: true, value: s === sw ? a : answers(plan)[plan.switches.indexOf(s)].value })), dockers(plan), time);
    expect(r.problems).toContain('spine01: no BGP sessions configured (run cldemo up)');
    expect(r.problems.filter((p) => p.includes('no BGP'))).toHaveLength(1);
  });
});
