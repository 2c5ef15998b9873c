/**
 * The pure parts of `cldemo measure`: which flows the mesh probes, how a probe stream's lines
 * read, and what a run of lost probes makes (loss windows, route churn). The lines are what
 * iputils ping and the curl loop print on the lab's nodes.
 */
import { loadPlanSync } from '../../src/providers.js';
import { LINUX_MEASURE } from '../../src/platforms/linux.js';
import { ChurnTally, fillGaps, flowLoss } from '../../src/measure/loss.js';
import { planMesh } from '../../src/measure/mesh.js';
import { FlowProbes } from '../../src/measure/streams.js';
import type { ProbeLine } from '../../src/platforms/types.js';

const plan = loadPlanSync('topology.yaml');
const parse = (kind: 'icmp' | 'http', line: string) => LINUX_MEASURE.parse(kind, line, 100);

describe('the mesh', () => {
  test('every rack probes the 3 others, from its leaf and its server, ICMP and HTTP: 48 flows on the default topology', () => {
    const flows = planMesh(plan);
    expect(flows).toHaveLength(4 * 3 * 2 * 2);
    expect(new Set(flows.map((f) => f.id)).size).toBe(flows.length);
    for (const f of flows) {
      const fromLeaf = f.from.role === 'leaf' ? f.from.node : plan.servers.find((s) => s.name === f.from.node)!.uplink.leaf;
      expect(f.to.leaf).not.toBe(fromLeaf); // between racks only
    }
    expect(flows[0]).toEqual({ id: 'leaf01 > server02-172.16.1.21 icmp', kind: 'icmp', from: { node: 'leaf01', role: 'leaf', address: '10.0.0.11', leaf: 'leaf01' }, to: { container: 'server02-172.16.1.21', ip: '172.16.1.21', server: 'server02', leaf: 'leaf02' } });
    // the leaf and the server of a rack aim at different containers of the same rack
    const toLeaf02 = flows.filter((f) => f.to.leaf === 'leaf02' && f.kind === 'icmp' && ['leaf01', 'server01'].includes(f.from.node));
    expect(new Set(toLeaf02.map((f) => f.to.ip)).size).toBe(2);
  });
  test('fewer peers, one kind, one source; rack i aims at container i of the next rack (mod its count)', () => {
    const flows = planMesh(plan, { kinds: ['http'], sources: ['servers'], peers: 1 });
    expect(flows.map((f) => f.id)).toEqual([
      'server01 > server02-172.16.1.21 http',
      'server02 > server03-172.16.1.32 http',
      'server03 > server04-172.16.1.43 http',
      'server04 > server01-172.16.1.11 http',
    ]);
  });
  test('a rack without containers is probed by nobody but still probes the others', () => {
    const bare = { ...plan, servers: plan.servers.map((s) => (s.name === 'server02' ? { ...s, containers: [] } : s)) };
    const flows = planMesh(bare, { kinds: ['icmp'], sources: ['leaves'], peers: 3 });
    expect(flows.filter((f) => f.to.leaf === 'leaf02')).toEqual([]);
    expect(flows.filter((f) => f.from.node === 'leaf02')).toHaveLength(3);
  });
});

describe('probe lines', () => {
  test('ping -D -O: a reply is dated its rtt before it came; no answer one interval before; an ICMP error at once', () => {
    expect(parse('icmp', '[1764791234.500000] 64 bytes from 172.16.1.41: icmp_seq=5 ttl=61 time=0.250 ms')).toEqual({ n: 5, ok: true, at: 1764791234500 - 0.25 });
    expect(parse('icmp', '[1764791234.500000] no answer yet for icmp_seq=6')).toEqual({ n: 6, ok: false, at: 1764791234400 });
    expect(parse('icmp', '[1764791234.500000] From 10.0.0.11 icmp_seq=7 Destination Host Unreachable')).toEqual({ n: 7, ok: false, at: 1764791234500 });
    expect(parse('icmp', 'PING 172.16.1.41 (172.16.1.41) from 10.0.0.11 : 56(84) bytes of data.')).toBeUndefined();
  });
  test('the curl loop: 200 answered, 000 (timed out) and 5xx not; dated when the request began', () => {
    expect(parse('http', 'cldemo-http 3 1764791234.500000 200 0.000500')).toEqual({ n: 3, ok: true, at: 1764791234499.5 });
    expect(parse('http', 'cldemo-http 4 1764791234.750000 000 0.250000')).toMatchObject({ n: 4, ok: false, at: 1764791234500 });
    expect(parse('http', 'cldemo-http 5 1764791234.800000 503 0.001000')).toMatchObject({ ok: false });
    expect(parse('http', 'curl: (28) Operation timed out')).toBeUndefined();
  });
  test('the commands: from the loopback with -I / --interface; a server from its own route', () => {
    expect(LINUX_MEASURE.icmp('172.16.1.41', 50, '10.0.0.11')).toBe('exec ping -n -D -O -W 1 -i 0.05 -I 10.0.0.11 172.16.1.41');
    expect(LINUX_MEASURE.icmp('172.16.1.41', 100)).toBe('exec ping -n -D -O -W 1 -i 0.1 172.16.1.41');
    const http = LINUX_MEASURE.http('172.16.1.41', 100, 250, '10.0.0.11');
    expect(http).toMatch(/^exec bash -c '.*curl -s -o \/dev\/null --rate 600\/m --max-time 0\.25 --interface 10\.0\.0\.11 .*http:\/\/172\.16\.1\.41\/\?cldemo-measure=\[1-999999999\]/);
    expect(() => LINUX_MEASURE.icmp('172.16.1.41; reboot', 100)).toThrow(/not an IPv4 address/);
  });
});

const probe = (n: number, ok: boolean): ProbeLine => ({ n, ok, at: 1000 + n * 100 });

describe('loss windows', () => {
  test('first lost to first answered again; the longest is the flow\'s', () => {
    const seq = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => probe(n, ![3, 4, 5, 8].includes(n)));
    const loss = flowLoss(seq, 100);
    expect(loss).toMatchObject({ sent: 10, lost: 4, windowMs: 300 });
    expect(loss.windows.map((w) => [w.lost, w.to - w.from, w.recovered])).toEqual([[3, 300, true], [1, 100, true]]);
  });
  test('nothing lost: a window of 0; lost to the end: not recovered, one interval past the last', () => {
    expect(flowLoss([probe(1, true), probe(2, true)], 100)).toMatchObject({ lost: 0, windowMs: 0, windows: [] });
    const tail = flowLoss([probe(1, true), probe(2, false), probe(3, false)], 100);
    expect(tail.windows).toEqual([{ from: 1200, to: 1400, lost: 2, recovered: false }]);
  });
  test('a probe ping said nothing of counts lost, dated between its neighbours', () => {
    const byN = new Map([1, 2, 5].map((n) => [n, probe(n, true)] as const));
    const filled = fillGaps(byN, 1, 5, 100);
    expect(filled.map((p) => [p.n, p.ok, p.at])).toEqual([[1, true, 1100], [2, true, 1200], [3, false, 1300], [4, false, 1400], [5, true, 1500]]);
    expect(flowLoss(filled, 100).windowMs).toBe(200);
  });
  test('a flow counts from its mark; a late answer wins over "no answer yet"; ping\'s sequence wraps at 65536', () => {
    const p = new FlowProbes({ id: 'x', kind: 'icmp', from: { node: 'leaf01', role: 'leaf', address: '10.0.0.11', leaf: 'leaf01' }, to: { container: 'c', ip: '172.16.1.41', server: 'server04', leaf: 'leaf04' } }, 100);
    p.newEpoch();
    for (const n of [65533, 65534]) p.add(probe(n, false)); // lost before the mark: not counted
    const mark = p.mark();
    p.add(probe(65535, false));
    p.add({ ...probe(65535, true) }); // answered after all
    p.add({ n: 0, ok: false, at: 1000 + 65536 * 100 });
    p.add({ n: 1, ok: true, at: 1000 + 65537 * 100 });
    const loss = p.loss(mark);
    expect(loss).toMatchObject({ sent: 3, lost: 1, windowMs: 100 });
  });
  test('a stream started again: its probes join the flow, the time between is not counted', () => {
    const p = new FlowProbes({ id: 'x', kind: 'http', from: { node: 's', role: 'server', address: '172.16.1.251', leaf: 'leaf01' }, to: { container: 'c', ip: '172.16.1.41', server: 'server04', leaf: 'leaf04' } }, 100);
    p.newEpoch();
    p.add(probe(1, true));
    const mark = p.mark();
    p.add(probe(2, false));
    p.newEpoch();
    p.add(probe(1, true));
    p.add(probe(2, true));
    expect(p.loss(mark)).toMatchObject({ sent: 3, lost: 1, restarts: 1, windows: [{ lost: 1, recovered: false }] });
  });
});

describe('route churn', () => {
  test('after the mark: a new host route is added, a removed one withdrawn, a replaced one changed; the dump is not a change', () => {
    const t = new ChurnTally();
    t.beginDump();
    t.dumped('main', '172.16.1.41');
    t.route('main', '172.16.1.42', false); // before the mark
    t.start();
    t.route('main', '172.16.1.41', false); // next hops replaced
    t.route('main', '172.16.1.41', true);
    t.route('main', '172.16.1.41', true); // a delete of what is gone already
    t.route('10', '172.16.1.43', false);
    t.beginDump(); // the monitor started again: what it lists is there
    t.dumped('main', '172.16.1.42');
    t.route('main', '172.16.1.42', true);
    expect(t.churn).toEqual({ added: 1, withdrawn: 2, changed: 1 });
  });
});
