/**
 * The agent answers for its tables by itself: a route there that it did not make, or whose
 * neighbor is gone, goes within one holdtime, with no SIGHUP and no restart; its own route
 * deleted under it comes back. The state machine alone, against a model of the kernel that
 * keeps a neighbor table and routing tables, applies what the agent asks, and lets the
 * agent read them back; time is the test's.
 */
import { Agent } from '../../src/rdnbrd/agent.js';
import { parseConfig } from '../../src/rdnbrd/config.js';
import { parseNeighborLine, type NeighborEvent, type TableRoute } from '../../src/rdnbrd/ip-lines.js';
import { MemoryLogger } from '../../src/rdnbrd/log.js';

const MAC = '02:00:00:00:00:01';
const HOLD_MS = 3000;

/** A route as the kernel lists it (ip route show table all), as the agent reads it back. */
type Route = TableRoute;

const tableName = (t: number) => (t === 254 ? 'main' : String(t));
const hostLen = (ip: string) => (ip.includes(':') ? 128 : 32);

/** A kernel: neighbors, routes of every table, what the agent wrote applied at once; reads answered when released. */
class KernelModel {
  readonly neighbors = new Map<string, NeighborEvent>();
  routes: Route[] = [];
  reads = 0;
  /** every route change the agent asked for, as `replace|delete|remove DST` */
  readonly writes: string[] = [];
  /** while set, a read waits for release() (a read that takes time while things change) */
  holdReads = false;
  private waiting: Array<() => void> = [];

  route(r: Partial<Route> & { dst: string }): Route {
    const family = r.dst.includes(':') ? 6 : 4;
    const full: Route = { length: r.dst === 'default' ? 0 : hostLen(r.dst), family, proto: 'boot', table: 'main', multipath: false, deleted: false, ...r };
    this.routes.push(full);
    return full;
  }

  neighbor(ip: string, state = 'REACHABLE', dev = 'swp1'): NeighborEvent {
    const ev = parseNeighborLine(`${ip} dev ${dev} lladdr ${MAC} ${state}`)!;
    this.neighbors.set(ip, ev);
    return ev;
  }

  has(dst: string, table: string): Route[] {
    return this.routes.filter((r) => r.dst === dst && r.table === table);
  }

  replaceRoute(ip: string, dev: string, table: number) {
    this.writes.push(`replace ${ip}`);
    this.routes = this.routes.filter((r) => !(r.dst === ip && r.length === hostLen(ip) && r.table === tableName(table)));
    this.route({ dst: ip, dev, table: tableName(table), proto: '72' });
  }

  deleteRoute(ip: string, dev: string, table: number) {
    this.writes.push(`delete ${ip}`);
    this.routes = this.routes.filter((r) => !(r.dst === ip && r.dev === dev && r.table === tableName(table) && r.proto === '72'));
  }

  removeRoute(x: Route) {
    this.writes.push(`remove ${x.dst}`);
    this.routes = this.routes.filter((r) => !(r.dst === x.dst && r.length === x.length && r.table === x.table && r.proto === x.proto && (!x.dev || r.dev === x.dev)));
  }

  deleteNeighbor(ip: string) {
    this.neighbors.delete(ip);
  }

  probe() {}
  solicit() {}

  /** As ip does it: the tables are read once the agent's current work has been written (the next turn), not at the call. */
  readTables(): Promise<{ neighbors: NeighborEvent[]; routes: Route[] }> {
    this.reads += 1;
    return new Promise((resolve) =>
      setImmediate(() => {
        const snapshot = { neighbors: [...this.neighbors.values()], routes: this.routes.map((r) => ({ ...r })) };
        if (this.holdReads) this.waiting.push(() => resolve(snapshot));
        else resolve(snapshot);
      }),
    );
  }

  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
}

function setup(conf = 'keepalive = 1\nholdtime = 3\nroute_table = 10\n') {
  const kernel = new KernelModel();
  const logger = new MemoryLogger('INFO');
  const agent = new Agent(parseConfig(conf, 'test.conf'), kernel, logger, () => 0.5);
  return { kernel, logger, agent };
}

/** Ticks every 100 ms from `from` to `to` (inclusive), letting reads answer between ticks. */
async function run(agent: Agent, from: number, to: number): Promise<void> {
  for (let t = from; t <= to; t += 100) {
    agent.tick(t);
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * The agent running for a while with `ips` answering, up to just after the read back that began
 * at `until` took its snapshot: a route put in now, with no event, waits longest.
 */
async function settled(agent: Agent, kernel: KernelModel, ips: string[], until = 3000): Promise<void> {
  for (const ip of ips) agent.onEvent(kernel.neighbor(ip), 0);
  await runAnswering(agent, kernel, ips, 0, until);
}

/** A host that keeps answering: a REACHABLE event each keepalive. */
async function runAnswering(agent: Agent, kernel: KernelModel, ips: string[], from: number, to: number): Promise<void> {
  for (let t = from; t <= to; t += 100) {
    if (t % 1000 === 500) for (const ip of ips) agent.onEvent(kernel.neighbor(ip), t);
    agent.tick(t);
    await new Promise((r) => setImmediate(r));
  }
}

describe('rdnbrd: no route in its tables that it cannot explain', () => {
  it("removes a route someone else put in its table within one holdtime, with no event and no SIGHUP, and says why", async () => {
    const { kernel, logger, agent } = setup();
    await settled(agent, kernel, ['10.1.0.5']);
    kernel.route({ dst: '10.9.9.9', dev: 'swp1', table: '10', proto: 'static' }); // just missed by a read, and its event lost
    await runAnswering(agent, kernel, ['10.1.0.5'], 3100, 3000 + HOLD_MS - 100);
    expect(kernel.has('10.9.9.9', '10')).toEqual([]);
    expect(kernel.has('10.1.0.5', '10')).toHaveLength(1); // its own stays
    expect(logger.lines).toContain("INFO route del 10.9.9.9/32 dev swp1 table 10: stray, not the agent's (proto static)");
  });

  it('removes routes of its protocol that it did not make (no live neighbor, or the neighbor behind another port)', async () => {
    const { kernel, logger, agent } = setup();
    await settled(agent, kernel, ['10.1.0.4']);
    agent.onEvent(kernel.neighbor('10.1.0.5', 'REACHABLE', 'swp2'), 3050);
    kernel.route({ dst: '10.1.0.7', dev: 'swp1', table: '10', proto: '72' });
    kernel.route({ dst: '10.1.0.5', dev: 'swp1', table: '10', proto: '72', metric: '5' });
    await run(agent, 3100, 3000 + HOLD_MS); // 10.1.0.5 answers no more: it would expire at 3050 + HOLD_MS
    expect(kernel.has('10.1.0.7', '10')).toEqual([]);
    expect(kernel.has('10.1.0.5', '10').map((r) => r.dev)).toEqual(['swp2']);
    expect(logger.lines).toContain('INFO route del 10.1.0.7/32 dev swp1 table 10: stray, no live neighbor');
    expect(logger.lines).toContain('INFO route del 10.1.0.5/32 dev swp1 table 10: stray, neighbor is on swp2');
  });

  it('removes any kind of route from a table of its own: a blackhole prefix, a default route', async () => {
    const { kernel, logger, agent } = setup();
    await settled(agent, kernel, []);
    kernel.route({ dst: '10.9.0.0', length: 24, type: 'blackhole', table: '10' });
    kernel.route({ dst: 'default', dev: 'swp1', table: '10' });
    await run(agent, 3100, 3000 + HOLD_MS - 100);
    expect(kernel.routes.filter((r) => r.table === '10')).toEqual([]);
    expect(logger.lines).toContain("INFO route del 10.9.0.0/24 table 10: stray, not the agent's (blackhole, proto boot)");
    expect(logger.lines).toContain("INFO route del default dev swp1 table 10: stray, not the agent's (proto boot)");
  });

  it('in the main table (its /128s live there) removes only routes of its own protocol', async () => {
    const { kernel, logger, agent } = setup();
    kernel.route({ dst: '2001:db8:1::77', dev: 'swp1', proto: '72', metric: '1024' });
    const others = [
      kernel.route({ dst: '2001:db8:1::78', dev: 'swp1', proto: 'static', metric: '1024' }),
      kernel.route({ dst: '2001:db8:1::21', proto: 'bgp', metric: '20', multipath: true }),
      kernel.route({ dst: '10.9.9.9', dev: 'swp1', proto: 'static' }),
      kernel.route({ dst: '10.9.9.10', dev: 'swp1', proto: '72' }), // its protocol, but IPv4's table is 10
      kernel.route({ dst: '10.1.0.0', length: 24, dev: 'swp1', proto: 'kernel' }),
    ];
    await run(agent, 0, HOLD_MS);
    expect(kernel.routes).toEqual(others);
    expect(logger.lines).toContain('INFO route del 2001:db8:1::77/128 dev swp1 table main: stray, no live neighbor');
  });

  it('puts its own route back within one holdtime when someone deletes it', async () => {
    const { kernel, logger, agent } = setup();
    await settled(agent, kernel, ['10.1.0.5']);
    kernel.routes = []; // ip route flush table 10
    await runAnswering(agent, kernel, ['10.1.0.5'], 3100, 3000 + HOLD_MS - 100);
    expect(kernel.has('10.1.0.5', '10')).toHaveLength(1);
    expect(logger.lines).toContain('INFO route add 10.1.0.5/32 dev swp1 table 10: missing from the table');
  });

  it('withdraws the route of a neighbor the kernel dropped without telling (a permanent entry: no holdtime)', async () => {
    const { kernel, logger, agent } = setup();
    agent.onEvent(kernel.neighbor('10.1.0.5', 'PERMANENT'), 0);
    await run(agent, 0, 3000);
    kernel.neighbors.delete('10.1.0.5'); // the Deleted event never came
    await run(agent, 3100, 3000 + HOLD_MS - 100);
    expect(kernel.has('10.1.0.5', '10')).toEqual([]);
    expect(logger.lines).toContain('INFO route del 10.1.0.5/32 dev swp1 table 10: neighbor no longer in the kernel table');
  });

  it('a stray route event has the tables read at once, not at the next holdtime', async () => {
    const { kernel, agent } = setup();
    await run(agent, 0, 1000);
    const readsBefore = kernel.reads;
    const stray = kernel.route({ dst: '10.9.9.9', dev: 'swp1', table: '10', proto: 'static' });
    agent.onRoute(stray, 1050);
    await run(agent, 1100, 1400);
    expect(kernel.reads).toBe(readsBefore + 1);
    expect(kernel.has('10.9.9.9', '10')).toEqual([]);
  });

  it('its own routes coming and going ask for no read; with nothing to fix, two reads per holdtime', async () => {
    const { kernel, logger, agent } = setup();
    agent.onEvent(kernel.neighbor('10.1.0.5'), 0);
    agent.onRoute(kernel.has('10.1.0.5', '10')[0], 10);
    await runAnswering(agent, kernel, ['10.1.0.5'], 0, 30_000);
    expect(kernel.reads).toBeGreaterThanOrEqual(20);
    expect(kernel.reads).toBeLessThanOrEqual(21);
    expect(logger.lines.filter((l) => / route (del|add) /.test(l))).toEqual(['INFO route add 10.1.0.5/32 dev swp1 table 10: neighbor REACHABLE']);
  });

  it('a read older than what the agent did since is not acted on: no withdrawal of a host learned meanwhile, no second delete', async () => {
    const { kernel, logger, agent } = setup();
    agent.onEvent(kernel.neighbor('10.1.0.6'), 0);
    await runAnswering(agent, kernel, ['10.1.0.6'], 0, 2900);
    kernel.holdReads = true;
    await run(agent, 3000, 3000); // a read begins, and sees 10.1.0.6 live and routed
    // before its answer: 10.1.0.6 fails and is withdrawn, 10.1.0.5 answers and is routed
    agent.onEvent(parseNeighborLine('10.1.0.6 dev swp1 FAILED')!, 3050);
    agent.onEvent(kernel.neighbor('10.1.0.5'), 3060);
    kernel.release();
    await run(agent, 3100, 3200);
    expect(kernel.has('10.1.0.5', '10')).toHaveLength(1);
    expect(kernel.has('10.1.0.6', '10')).toEqual([]);
    expect(agent.routes()).toEqual([{ ip: '10.1.0.5', dev: 'swp1' }]);
    expect(logger.lines.filter((l) => /stray|kept|missing|no longer/.test(l))).toEqual([]);
  });

  it('after a restart adopts the routes it made before: nothing deleted, nothing rewritten, no stray; a route of a host gone since goes', async () => {
    const kernel = new KernelModel();
    const before = new Agent(parseConfig('keepalive = 1\nholdtime = 3\nroute_table = 10\n', 'test.conf'), kernel, new MemoryLogger('INFO'), () => 0.5);
    const hosts = ['10.1.0.5', '10.1.0.6', '2001:db8:1::5'];
    for (const ip of hosts) before.onEvent(kernel.neighbor(ip), 0);
    before.onEvent(kernel.neighbor('10.1.0.7'), 0);
    expect(kernel.routes.map((r) => `${r.dst} ${r.table}`)).toEqual(['10.1.0.5 10', '10.1.0.6 10', '2001:db8:1::5 main', '10.1.0.7 10']);
    // killed (SIGKILL: no withdrawal); meanwhile 10.1.0.7 went away
    kernel.neighbors.delete('10.1.0.7');
    const logger = new MemoryLogger('INFO');
    const after = new Agent(parseConfig('keepalive = 1\nholdtime = 3\nroute_table = 10\n', 'test.conf'), kernel, logger, () => 0.5);
    kernel.writes.length = 0;
    after.reconcile(await kernel.readTables(), 0);
    await runAnswering(after, kernel, hosts, 0, 3 * HOLD_MS);
    expect(kernel.writes).toEqual(['delete 10.1.0.7']);
    expect(kernel.routes.map((r) => r.dst)).toEqual(['10.1.0.5', '10.1.0.6', '2001:db8:1::5']);
    for (const ip of hosts) expect(logger.lines.some((l) => l.startsWith(`INFO route kept ${ip}/`) && l.endsWith('at start'))).toBe(true);
    expect(logger.lines).toContain('INFO route del 10.1.0.7/32 dev swp1 table 10: stale at start, no live neighbor');
    expect(logger.lines.filter((l) => / route (add|del) /.test(l))).toEqual(['INFO route del 10.1.0.7/32 dev swp1 table 10: stale at start, no live neighbor']);
  });
});
