/**
 * `cldemo events` left running, in process: servers' Docker streams come from fake engines
 * on Unix sockets, switches' monitors from streams the test feeds. A stream that ends is
 * reported `watch lost` once and resumed (`watch resumed`); Docker's events in the gap are
 * replayed with since= the last one seen and those already shown are dropped; a switch's
 * tables are read again and what changed in the gap is reported; a node that stays down is
 * retried with a growing wait; stop leaves nothing running.
 */
import Docker from 'dockerode';
import { loadPlanSync } from '../../src/providers.js';
import { watchFabric } from '../../src/fabric/observe/events.js';
import type { FabricEvent } from '../../src/fabric/observe/formats.js';
import { eventSchema } from '../../src/fabric/observe/formats.js';
import { silentProgress, type FabricContext } from '../../src/fabric/context.js';
import { DockerodeEngine, dockerTime } from '../../src/transport/docker.js';
import { NodeError } from '../../src/errors.js';
import type { ExecResult, LineStream, NodeConnection } from '../../src/transport/node-connection.js';
import type { NodePlan } from '../../src/topology/types.js';
import { startFakeDocker, type FakeDocker } from '../transport/fake-docker.js';

const plan = loadPlanSync('test/views/fixtures/views.yaml'); // spine1, leaf1, leaf2; host1 (10.78.0.10, .11), host2 (.20)
const MARK = '@@cldemo-events@@';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A switch's monitor, as the test writes it: lines in, an exit when told. */
class FakeMonitor implements LineStream {
  done: Promise<number>;
  stopped = false;
  end!: (code: number) => void;
  constructor(readonly onLine: (l: string) => void) {
    this.done = new Promise((r) => (this.end = r));
  }
  stop(): void {
    this.stopped = true;
    this.end(-1);
  }
}

/** What each switch's dump holds; the test changes it between monitors. */
const dumps = new Map<string, string[]>();
const monitors = new Map<string, FakeMonitor[]>();

function switchConn(node: string): NodeConnection {
  return {
    node,
    exec: async (): Promise<ExecResult> => ({ code: 0, stdout: '{}', stderr: '' }),
    putFile: async () => undefined,
    getFile: async () => null,
    docker: () => {
      throw new Error('a switch has no Docker');
    },
    stream(_command, onLine) {
      const m = new FakeMonitor(onLine);
      (monitors.get(node) ?? monitors.set(node, []).get(node)!).push(m);
      setImmediate(() => [...(dumps.get(node) ?? []), MARK].forEach((l) => onLine(l)));
      return m;
    },
    close: async () => undefined,
  };
}

let engines: Map<string, FakeDocker>;
/** every watch a test started, stopped after it whatever happened */
const watches: Array<{ stop(): Promise<void> }> = [];
function watchAll(backoffMs: number[]) {
  const w = watchFabric(context(), (e) => seen.push(e), { backoffMs });
  watches.push(w);
  return w;
}
let seen: FabricEvent[];
let connects: Map<string, number>;
/** nodes whose connect fails, as an unreachable node's does */
let unreachable: Set<string>;

function context(): FabricContext {
  const dockers = new Map([...engines].map(([name, e]) => [name, new DockerodeEngine(name, new Docker({ socketPath: e.socketPath, timeout: 10_000 }))]));
  return {
    plan,
    parallel: 8,
    progress: silentProgress,
    connect: async (n: NodePlan) => {
      connects.set(n.name, (connects.get(n.name) ?? 0) + 1);
      if (unreachable.has(n.name)) throw new NodeError(n.name, `cannot open SSH to root@${n.mgmt.host}:22: connect ECONNREFUSED`);
      if (n.role !== 'server') return switchConn(n.name);
      return { ...switchConn(n.name), docker: () => dockers.get(n.name)! };
    },
  };
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await sleep(10)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}; seen:\n${seen.map((e) => JSON.stringify(e)).join('\n')}`);
}

const of = (node: string, type: string, action?: string) => seen.filter((e) => e.node === node && e.type === type && (!action || e.action === action));

beforeEach(async () => {
  engines = new Map([
    ['host1', await startFakeDocker()],
    ['host2', await startFakeDocker()],
  ]);
  seen = [];
  connects = new Map();
  unreachable = new Set();
  dumps.clear();
  monitors.clear();
});

afterEach(async () => {
  for (const w of watches.splice(0)) await w.stop();
  for (const e of engines.values()) await e.stop();
});

test('a Docker stream that ends is reported once, resumed with since= the last event, and the gap replayed without repeats', async () => {
  const watch = watchAll([50]);
  await watch.ready;
  expect(seen.filter((e) => e.type === 'watch').map((e) => `${e.node} ${e.action}`).sort()).toEqual(['host1 started', 'host2 started', 'leaf1 started', 'leaf2 started', 'spine1 started']);
  const host1 = engines.get('host1')!;
  const dieAt = host1.emit({ action: 'die', name: 'host1-10.78.0.10', exitCode: 0 });
  await until('the die event', () => of('host1', 'container', 'die').length === 1);

  host1.endStreams(); // dockerd restarting
  host1.emit({ action: 'start', name: 'host1-10.78.0.10' }); // in the gap: no stream is open
  await until('the start event from the gap', () => of('host1', 'container', 'start').length === 1);
  await sleep(100);
  await watch.stop();

  expect(of('host1', 'watch', 'lost')).toEqual([expect.objectContaining({ error: 'dockerd ended the event stream' })]);
  expect(of('host1', 'watch', 'resumed')).toEqual([expect.objectContaining({ since: new Date(dieAt - 1).toISOString() })]);
  expect(host1.sinces).toEqual(['', dockerTime(dieAt - 1)]);
  expect(of('host1', 'container', 'die')).toHaveLength(1); // replayed, dropped
  expect(seen.filter((e) => e.type === 'container').map((e) => `${e.node} ${e.action} ${(e as { container: string }).container}`)).toEqual(['host1 die host1-10.78.0.10', 'host1 start host1-10.78.0.10']);
  expect(of('host2', 'watch', 'lost')).toEqual([]);
  for (const e of seen) expect(() => eventSchema.parse(e)).not.toThrow();
});

test('a server whose dockerd stays down is retried with a growing wait, said lost once, and resumed when it is back', async () => {
  const watch = watchAll([40, 80, 160, 320]);
  await watch.ready;
  const host2 = engines.get('host2')!;
  const before = connects.get('host2')!;
  await host2.down();
  await sleep(700); // attempts at about 40, 120, 280, 600 ms
  const attempts = connects.get('host2')! - before;
  expect(attempts).toBeGreaterThanOrEqual(3);
  expect(attempts).toBeLessThanOrEqual(5);
  expect(of('host2', 'watch', 'lost')).toHaveLength(1);
  await host2.up();
  host2.emit({ action: 'start', name: 'host2-10.78.0.20' });
  await until('host2 resumed', () => of('host2', 'watch', 'resumed').length === 1, 3000);
  await until('the start while it was down', () => of('host2', 'container', 'start').length === 1);
  expect(of('host2', 'watch', 'lost')).toHaveLength(1);
  await watch.stop();
});

test("a switch's monitor that ends is reported, started again, and what changed in the gap is reported", async () => {
  dumps.set('leaf1', ['10.78.0.10 dev swp3 table 10 proto 72 scope link', '10.78.0.10 dev swp3 lladdr 02:42:0a:4e:00:0a REACHABLE']);
  const watch = watchAll([30]);
  await watch.ready;
  expect(of('leaf1', 'route')).toEqual([]); // the first dump only seeds
  dumps.set('leaf1', ['10.78.0.11 dev swp3 table 10 proto 72 scope link', '10.78.0.11 dev swp3 lladdr 02:42:0a:4e:00:0b REACHABLE', '10.78.0.10 dev swp3  FAILED']);
  monitors.get('leaf1')![0].end(255);
  await until('leaf1 resumed', () => of('leaf1', 'watch', 'resumed').length === 1);
  expect(of('leaf1', 'watch', 'lost')).toEqual([expect.objectContaining({ error: 'ip monitor ended (exit 255)' })]);
  expect(of('leaf1', 'route').map((e) => `${e.action} ${(e as { prefix: string }).prefix}`)).toEqual(['withdrawn 10.78.0.10/32', 'added 10.78.0.11/32']);
  expect(of('leaf1', 'arp').map((e) => `${e.action} ${(e as { ip: string }).ip}`).sort()).toEqual(['failed 10.78.0.10', 'learned 10.78.0.11']);
  expect(monitors.get('leaf1')).toHaveLength(2);
  await watch.stop();
  expect(monitors.get('leaf1')![1].stopped).toBe(true);
});

test('a node unreachable from the start is said lost once, and started as soon as it answers; stop ends every retry', async () => {
  unreachable.add('spine1');
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const baseline = timers();
  const watch = watchAll([30]);
  await watch.ready;
  expect(of('spine1', 'watch').map((e) => e.action)).toEqual(['lost']);
  await sleep(150);
  expect(of('spine1', 'watch').map((e) => e.action)).toEqual(['lost']);
  unreachable.delete('spine1');
  await until('spine1 watched', () => of('spine1', 'watch', 'started').length === 1);
  await watch.stop();
  expect(of('spine1', 'watch').map((e) => e.action)).toEqual(['lost', 'started']);
  const after = new Map(connects);
  await sleep(200);
  expect(connects).toEqual(after);
  expect(timers()).toBeLessThanOrEqual(baseline);
});
