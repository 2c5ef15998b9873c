/** The state machine alone: a fake KernelPort records what the agent asks for. */
import { Agent } from '../../src/rdnbrd/agent.js';
import { parseConfig, type RdnbrdConfig } from '../../src/rdnbrd/config.js';
import type { KernelPort, KernelTables } from '../../src/rdnbrd/iproute.js';
import { parseLinkLine, parseNeighborLine, parseTableRoute, type NeighborEvent, type TableRoute } from '../../src/rdnbrd/ip-lines.js';
import { MemoryLogger } from '../../src/rdnbrd/log.js';

class FakeKernel implements KernelPort {
  readonly calls: string[] = [];
  replaceRoute(ip: string, dev: string, table: number) { this.calls.push(`replace ${ip} ${dev} ${table}`); }
  deleteRoute(ip: string, dev: string, table: number) { this.calls.push(`delroute ${ip} ${dev} ${table}`); }
  deleteNeighbor(ip: string, dev: string) { this.calls.push(`delneigh ${ip} ${dev}`); }
  probe(ip: string, dev: string, mac: string, unicast: boolean) { this.calls.push(`probe ${ip} ${dev} ${mac} ${unicast ? 'unicast' : 'broadcast'}`); }
  solicit(ip: string, dev: string) { this.calls.push(`solicit ${ip} ${dev}`); }
  removeRoute(r: TableRoute) { this.calls.push(`remove ${r.dst}/${r.length} ${r.dev ?? '-'} ${r.table} ${r.proto}`); }
  /** nothing to read: these tests drive reconcile themselves */
  readTables(): Promise<KernelTables> { return new Promise(() => undefined); }
  take(): string[] { return this.calls.splice(0); }
}

/** Routes as `ip route show table all` lists them. */
const tableRoutes = (lines: string[]): TableRoute[] => lines.map((l) => parseTableRoute(l)!);

const MAC = '02:00:00:00:00:01';
const neigh = (ip: string, state: string, dev = 'swp1') => parseNeighborLine(`${ip} dev ${dev} lladdr ${MAC} ${state}`)!;

function setup(conf = 'keepalive = 1\nholdtime = 3\nroute_table = 10\n') {
  const kernel = new FakeKernel();
  const logger = new MemoryLogger('INFO');
  const cfg: RdnbrdConfig = parseConfig(conf, 'test.conf');
  const agent = new Agent(cfg, kernel, logger, () => 0.5);
  return { kernel, logger, agent };
}

describe('rdnbrd agent', () => {
  it('routes a live neighbor at once and logs why', () => {
    const { kernel, logger, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
    expect(kernel.take()).toEqual(['replace 10.1.0.5 swp1 10']);
    expect(logger.lines).toEqual(['INFO route add 10.1.0.5/32 dev swp1 table 10: neighbor REACHABLE']);
  });

  it.each(['STALE', 'DELAY', 'PROBE', 'PERMANENT'])('treats %s as live', (state) => {
    const { kernel, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', state), 0);
    expect(kernel.take()).toEqual(['replace 10.1.0.5 swp1 10']);
  });

  it('ignores lo, the management interface, 169.254/16 and 0.0.0.0', () => {
    const { kernel, agent } = setup('exclude_interfaces = eth0 mgmt\n');
    for (const ev of [neigh('10.1.0.5', 'REACHABLE', 'lo'), neigh('10.1.0.6', 'REACHABLE', 'eth0'), neigh('10.1.0.7', 'REACHABLE', 'mgmt'),
      neigh('169.254.0.1', 'REACHABLE'), neigh('0.0.0.0', 'REACHABLE')]) agent.onEvent(ev, 0);
    expect(kernel.take()).toEqual([]);
  });

  it.each([['FAILED', true], ['INCOMPLETE', true]])('withdraws route and entry when the neighbor turns %s', (state, delNeigh) => {
    const { kernel, logger, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
    kernel.take();
    agent.onEvent(parseNeighborLine(`10.1.0.5 dev swp1 ${state}`)!, 100);
    expect(kernel.take()).toEqual(['delroute 10.1.0.5 swp1 10', ...(delNeigh ? ['delneigh 10.1.0.5 swp1'] : [])]);
    expect(logger.lines.at(-2)).toBe(`INFO route del 10.1.0.5/32 dev swp1 table 10: neighbor ${state}`);
  });

  it('withdraws the route when the entry is deleted, without deleting it again', () => {
    const { kernel, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', 'STALE'), 0);
    kernel.take();
    agent.onEvent(parseNeighborLine(`Deleted 10.1.0.5 dev swp1 lladdr ${MAC} STALE`)!, 10);
    expect(kernel.take()).toEqual(['delroute 10.1.0.5 swp1 10']);
  });

  it('withdraws every neighbor of an interface that goes down', () => {
    const { kernel, logger, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
    agent.onEvent(neigh('10.1.0.6', 'REACHABLE', 'swp2'), 0);
    kernel.take();
    agent.onEvent(parseLinkLine('3: swp1@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 state DOWN')!, 5);
    expect(kernel.take()).toEqual(['delroute 10.1.0.5 swp1 10', 'delneigh 10.1.0.5 swp1']);
    expect(logger.lines.at(-2)).toBe('INFO route del 10.1.0.5/32 dev swp1 table 10: interface swp1 down');
    expect(agent.routes()).toEqual([{ ip: '10.1.0.6', dev: 'swp2' }]);
  });

  it('probes once per keepalive, spread by phase, and expires after holdtime without a reply', () => {
    const { kernel, logger, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
    kernel.take();
    for (let t = 0; t <= 2950; t += 50) agent.tick(t);
    // phase 0.5 s: probes at 500, 1500, 2500
    expect(kernel.take()).toEqual(Array(3).fill(`probe 10.1.0.5 swp1 ${MAC} unicast`));
    agent.tick(3000);
    expect(kernel.take()).toEqual(['delroute 10.1.0.5 swp1 10', 'delneigh 10.1.0.5 swp1']);
    expect(logger.lines.at(-2)).toBe('INFO route del 10.1.0.5/32 dev swp1 table 10: no ARP reply for 3s');
  });

  describe('when the agent itself did not run (a stalled host, a stopped process)', () => {
    it('withdraws nothing for the stall, asks every neighbor again at once, and says so', () => {
      const { kernel, logger, agent } = setup();
      agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
      agent.onEvent(neigh('10.1.0.6', 'REACHABLE', 'swp2'), 0);
      for (let t = 0; t <= 1000; t += 100) {
        agent.tick(t);
        if (t === 600) for (const ip of ['10.1.0.5', '10.1.0.6']) agent.onEvent(neigh(ip, 'REACHABLE', ip.endsWith('5') ? 'swp1' : 'swp2'), t);
      }
      kernel.take();
      // 6 s without a tick: twice the holdtime since either answered
      agent.tick(7000);
      expect(kernel.take()).toEqual([`probe 10.1.0.5 swp1 ${MAC} unicast`, `probe 10.1.0.6 swp2 ${MAC} unicast`]);
      expect(agent.routes()).toHaveLength(2);
      expect(logger.lines.at(-1)).toBe('WARNING the agent did not run for 6.0s (a stalled host or a stopped process): 2 neighbors keep their routes and are asked again now');
      // one answers; the other, gone meanwhile, goes holdtime after its last answer (600) in time the
      // agent ran, the first second of the stall counted as run: 400 ms before it, 1 s of it, 1.6 s after
      agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 7010);
      for (let t = 7100; t < 8600; t += 100) {
        agent.tick(t);
        if (t % 1000 === 0) agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), t);
      }
      expect(kernel.take().filter((c) => !c.startsWith('probe'))).toEqual([]);
      agent.tick(8600);
      expect(kernel.take()).toEqual(['delroute 10.1.0.6 swp2 10', 'delneigh 10.1.0.6 swp2']);
      expect(agent.routes()).toEqual([{ ip: '10.1.0.5', dev: 'swp1' }]);
    });

    // Crediting every late tick in full would keep a silent host forever on a box whose ticks keep
    // coming more than a second apart (seen as a /32 kept 20 s after its container died, in CI).
    it('withdraws a silent host even when every tick comes late: the first second of each gap counts', () => {
      const { kernel, agent } = setup();
      agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
      agent.tick(0);
      kernel.take();
      let gone: number | undefined;
      for (let t = 1500; t <= 30_000 && gone === undefined; t += 1500) {
        agent.tick(t);
        if (kernel.take().includes('delroute 10.1.0.5 swp1 10')) gone = t;
      }
      // 1 s of each 1.5 s gap counts: 3 s of holdtime after 3 late ticks
      expect(gone).toBe(4500);
    });

    it('counts a stall before its first tick from its start', () => {
      const { kernel, agent } = setup();
      agent.reconcile({ neighbors: [], routes: [] }, 0);
      agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 10);
      kernel.take();
      agent.tick(6000);
      expect(kernel.take()).toEqual([`probe 10.1.0.5 swp1 ${MAC} unicast`]);
    });

    it('counts a gap of up to a second between ticks as running: a host silent for holdtime still goes on time', () => {
      const { kernel, agent } = setup();
      agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
      for (let t = 0; t < 3000; t += 1000) agent.tick(t);
      kernel.take();
      agent.tick(3000);
      expect(kernel.take()).toEqual(['delroute 10.1.0.5 swp1 10', 'delneigh 10.1.0.5 swp1']);
    });
  });

  it('keeps a neighbor that answers, for as long as it answers', () => {
    const { kernel, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
    for (let t = 0; t < 600_000; t += 50) {
      agent.tick(t);
      if (t % 1000 === 550) agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), t);
    }
    expect(kernel.take().filter((c) => !c.startsWith('probe'))).toEqual(['replace 10.1.0.5 swp1 10']);
    expect(agent.routes()).toHaveLength(1);
  });

  it('never probes or expires a PERMANENT entry', () => {
    const { kernel, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', 'PERMANENT'), 0);
    kernel.take();
    for (let t = 0; t < 10_000; t += 50) agent.tick(t);
    expect(kernel.take()).toEqual([]);
  });

  it('sends broadcast probes when unicast_arp_requests is False', () => {
    const { kernel, agent } = setup('unicast_arp_requests = False\n');
    agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
    agent.tick(600);
    expect(kernel.take()).toEqual(['replace 10.1.0.5 swp1 10', `probe 10.1.0.5 swp1 ${MAC} broadcast`]);
  });

  it('reconciles at start: keeps routes of live neighbors, adds missing, removes stale', () => {
    const { kernel, logger, agent } = setup();
    const dump: NeighborEvent[] = [neigh('10.1.0.5', 'REACHABLE'), neigh('10.1.0.6', 'STALE'), neigh('10.1.0.7', 'FAILED')];
    const routes = tableRoutes(['10.1.0.5 dev swp1', '10.1.0.7 dev swp1', '10.1.0.8 dev swp3'].map((r) => `${r} table 10 proto 72 scope link`));
    agent.reconcile({ neighbors: dump, routes }, 0);
    expect(kernel.take()).toEqual(['replace 10.1.0.6 swp1 10', 'delroute 10.1.0.7 swp1 10', 'delroute 10.1.0.8 swp3 10']);
    expect(logger.lines).toContain('INFO route kept 10.1.0.5/32 dev swp1 table 10: neighbor REACHABLE at start');
    expect(logger.lines).toContain('INFO route del 10.1.0.8/32 dev swp3 table 10: stale at start, no live neighbor');
  });

  it('moves a route when the address shows up on another port', () => {
    const { kernel, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
    agent.onEvent(neigh('10.1.0.5', 'REACHABLE', 'swp2'), 10);
    agent.onEvent(parseNeighborLine('10.1.0.5 dev swp1 FAILED')!, 20);
    expect(kernel.take()).toEqual(['replace 10.1.0.5 swp1 10', 'replace 10.1.0.5 swp2 10']);
  });

  it('on reload moves routes to a new table and drops newly excluded ports', () => {
    const { kernel, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
    agent.onEvent(neigh('10.1.0.6', 'REACHABLE', 'swp2'), 0);
    kernel.take();
    agent.configure(parseConfig('route_table = 20\nexclude_interfaces = eth0 swp2\n', 'x'));
    expect(kernel.take()).toEqual(['delroute 10.1.0.5 swp1 10', 'replace 10.1.0.5 swp1 20', 'delroute 10.1.0.6 swp2 10']);
  });

  it('withdraws everything it installed on stop', () => {
    const { kernel, agent } = setup();
    agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
    agent.onEvent(neigh('10.1.0.6', 'REACHABLE', 'swp2'), 0);
    kernel.take();
    agent.withdrawAll('rdnbrd stopping');
    expect(kernel.take()).toEqual(['delroute 10.1.0.5 swp1 10', 'delroute 10.1.0.6 swp2 10']);
    expect(agent.routes()).toEqual([]);
  });

  describe('expected neighbors (learning without a sweep)', () => {
    const conf = 'expected_neighbors = swp1:10.1.0.5,10.1.0.6 swp2:10.1.0.7\n';
    const failed = (ip: string, dev = 'swp1') => parseNeighborLine(`${ip} dev ${dev} FAILED`)!;

    it('asks for every expected address without a live entry, and routes only the ones that answer', () => {
      const { kernel, agent } = setup(conf);
      agent.onEvent(neigh('10.1.0.6', 'REACHABLE'), 0);
      kernel.take();
      agent.tick(100);
      expect(kernel.take()).toEqual(['solicit 10.1.0.5 swp1', 'solicit 10.1.0.7 swp2']);
      agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 400);
      expect(kernel.take()).toEqual(['replace 10.1.0.5 swp1 10']);
      expect(agent.routes().map((r) => r.ip).sort()).toEqual(['10.1.0.5', '10.1.0.6']);
    });

    it('asks again when the kernel gives up, at most once a second, and every 5 s without news', () => {
      const { kernel, agent } = setup(conf);
      agent.tick(0);
      expect(kernel.take()).toHaveLength(3);
      agent.onEvent(failed('10.1.0.5'), 300); // FAILED sooner than 1 s: wait for the 1 s mark
      for (let t = 300; t < 1000; t += 100) agent.tick(t);
      expect(kernel.take()).toEqual([]);
      agent.tick(1000);
      expect(kernel.take()).toEqual(['solicit 10.1.0.5 swp1']);
      agent.onEvent(failed('10.1.0.7', 'swp3'), 1100); // same address on a port it is not expected on
      for (let t = 1100; t < 5000; t += 100) agent.tick(t);
      expect(kernel.take()).toEqual([]);
      agent.tick(5000);
      expect(kernel.take()).toEqual(['solicit 10.1.0.6 swp1', 'solicit 10.1.0.7 swp2']);
    });

    it('asks for a withdrawn host at once and logs when it last answered, was probed and failed', () => {
      const { kernel, logger, agent } = setup(conf);
      agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
      agent.onEvent(neigh('10.1.0.6', 'REACHABLE'), 0);
      agent.onEvent(neigh('10.1.0.7', 'REACHABLE', 'swp2'), 0);
      for (let t = 0; t <= 2900; t += 100) agent.tick(t);
      agent.onEvent(neigh('10.1.0.6', 'REACHABLE'), 2950);
      kernel.take();
      agent.tick(3000);
      expect(kernel.take()).toEqual([
        'delroute 10.1.0.5 swp1 10', 'delneigh 10.1.0.5 swp1',
        'delroute 10.1.0.7 swp2 10', 'delneigh 10.1.0.7 swp2',
        'solicit 10.1.0.5 swp1', 'solicit 10.1.0.7 swp2',
      ]);
      expect(logger.lines).toContain(
        'INFO timeline 10.1.0.5 dev swp1: learned 1970-01-01T00:00:00.000Z confirmed 1970-01-01T00:00:00.000Z ' +
          'probed 1970-01-01T00:00:02.500Z failed - withdrawn 1970-01-01T00:00:03.000Z',
      );
      agent.onEvent(neigh('10.1.0.6', 'STALE'), 3100);
      agent.onEvent(failed('10.1.0.6'), 3200);
      expect(logger.lines.slice(-2)).toEqual([
        'INFO route del 10.1.0.6/32 dev swp1 table 10: neighbor FAILED',
        'INFO timeline 10.1.0.6 dev swp1: learned 1970-01-01T00:00:00.000Z confirmed 1970-01-01T00:00:02.950Z ' +
          'probed 1970-01-01T00:00:02.500Z failed 1970-01-01T00:00:03.200Z withdrawn 1970-01-01T00:00:03.200Z',
      ]);
    });

    it('asks on its own port for an expected address still routed by another, and moves the route once it answers there', () => {
      const { kernel, logger, agent } = setup(conf);
      agent.onEvent(neigh('10.1.0.7', 'REACHABLE', 'swp1'), 0); // expected behind swp2, found behind swp1
      kernel.take();
      agent.tick(100);
      expect(kernel.take()).toEqual(['solicit 10.1.0.5 swp1', 'solicit 10.1.0.6 swp1', 'solicit 10.1.0.7 swp2']);
      agent.onEvent(failed('10.1.0.7', 'swp2'), 400); // not there yet: asked again at the 1 s mark, the route stays
      agent.tick(1100);
      expect(kernel.take()).toEqual([`probe 10.1.0.7 swp1 ${MAC} unicast`, 'solicit 10.1.0.7 swp2']);
      agent.onEvent(neigh('10.1.0.7', 'REACHABLE', 'swp2'), 1500);
      expect(kernel.take()).toEqual(['replace 10.1.0.7 swp2 10']);
      expect(logger.lines.at(-1)).toBe('INFO route move 10.1.0.7/32 dev swp1 -> swp2 table 10: neighbor REACHABLE on swp2');
    });

    it('stops asking for an address a reload no longer expects, and never on an excluded port', () => {
      const { kernel, agent } = setup(conf);
      agent.configure(parseConfig('expected_neighbors = swp1:10.1.0.5 eth0:10.1.0.9\n', 'x'));
      agent.tick(0);
      expect(kernel.take()).toEqual(['solicit 10.1.0.5 swp1']);
    });

    it('logs no timeline when it withdraws for a stop', () => {
      const { logger, agent } = setup(conf);
      agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
      agent.withdrawAll('rdnbrd stopping');
      expect(logger.lines.some((l) => l.includes('timeline'))).toBe(false);
    });
  });

  describe('IPv6: neighbor discovery entries become /128s the same way', () => {
    const conf = 'keepalive = 1\nholdtime = 3\nroute_table = 10\nexpected_neighbors = swp1:10.1.0.5,2001:db8:1::5 swp2:2001:db8:1::7\n';
    const failed = (ip: string, dev = 'swp1') => parseNeighborLine(`${ip} dev ${dev} FAILED`)!;

    it('routes a live IPv6 neighbor as a /128 in the main table, beside the /32s in table 10', () => {
      const { kernel, logger, agent } = setup();
      agent.onEvent(neigh('2001:db8:1::11', 'REACHABLE'), 0);
      agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
      expect(kernel.take()).toEqual(['replace 2001:db8:1::11 swp1 254', 'replace 10.1.0.5 swp1 10']);
      expect(logger.lines).toEqual([
        'INFO route add 2001:db8:1::11/128 dev swp1 table main: neighbor REACHABLE',
        'INFO route add 10.1.0.5/32 dev swp1 table 10: neighbor REACHABLE',
      ]);
    });

    it('ignores link-local, multicast, loopback and IPv4-mapped neighbors and anything flagged router', () => {
      const { kernel, agent } = setup();
      for (const ip of ['fe80::1', 'ff02::1', '::1', '::', '::ffff:a01:5']) agent.onEvent(neigh(ip, 'REACHABLE'), 0);
      agent.onEvent(parseNeighborLine(`2001:db8:1::1 dev swp1 lladdr ${MAC} router REACHABLE`)!, 0);
      agent.onEvent(parseNeighborLine(`fe80::2 dev swp51 lladdr ${MAC} router REACHABLE`)!, 0);
      expect(kernel.take()).toEqual([]);
    });

    it('withdraws a /128 whose neighbor turns out to be a router, without touching the entry', () => {
      const { kernel, logger, agent } = setup();
      agent.onEvent(neigh('2001:db8:1::11', 'STALE'), 0);
      kernel.take();
      agent.onEvent(parseNeighborLine(`2001:db8:1::11 dev swp1 lladdr ${MAC} router REACHABLE`)!, 10);
      expect(kernel.take()).toEqual(['delroute 2001:db8:1::11 swp1 254']);
      expect(logger.lines.at(-1)).toBe('INFO route del 2001:db8:1::11/128 dev swp1 table main: neighbor is a router');
    });

    it('probes by unicast solicitation once per keepalive, even with unicast_arp_requests False, and expires after holdtime', () => {
      const { kernel, logger, agent } = setup('unicast_arp_requests = False\n');
      agent.onEvent(neigh('2001:db8:1::11', 'REACHABLE'), 0);
      agent.onEvent(neigh('10.1.0.11', 'REACHABLE'), 0);
      kernel.take();
      for (let t = 0; t <= 2950; t += 50) agent.tick(t);
      expect(kernel.take()).toEqual([
        `probe 2001:db8:1::11 swp1 ${MAC} unicast`, `probe 10.1.0.11 swp1 ${MAC} broadcast`,
        `probe 2001:db8:1::11 swp1 ${MAC} unicast`, `probe 10.1.0.11 swp1 ${MAC} broadcast`,
        `probe 2001:db8:1::11 swp1 ${MAC} unicast`, `probe 10.1.0.11 swp1 ${MAC} broadcast`,
      ]);
      agent.tick(3000);
      expect(kernel.take()).toEqual(['delroute 2001:db8:1::11 swp1 254', 'delneigh 2001:db8:1::11 swp1', 'delroute 10.1.0.11 swp1 10', 'delneigh 10.1.0.11 swp1']);
      expect(logger.lines).toContain('INFO route del 2001:db8:1::11/128 dev swp1 table main: no NDP reply for 3s');
      expect(logger.lines).toContain('INFO route del 10.1.0.11/32 dev swp1 table 10: no ARP reply for 3s');
    });

    it('keeps a /128 that answers for as long as it answers', () => {
      const { kernel, agent } = setup();
      agent.onEvent(neigh('2001:db8:1::11', 'REACHABLE'), 0);
      for (let t = 0; t < 600_000; t += 50) {
        agent.tick(t);
        if (t % 1000 === 550) agent.onEvent(neigh('2001:db8:1::11', 'REACHABLE'), t);
      }
      expect(kernel.take().filter((c) => !c.startsWith('probe'))).toEqual(['replace 2001:db8:1::11 swp1 254']);
    });

    it('asks for expected IPv6 addresses as for IPv4 ones, again after FAILED, and logs the timeline of one that left', () => {
      const { kernel, logger, agent } = setup(conf);
      agent.tick(0);
      expect(kernel.take()).toEqual(['solicit 10.1.0.5 swp1', 'solicit 2001:db8:1::5 swp1', 'solicit 2001:db8:1::7 swp2']);
      agent.onEvent(failed('2001:db8:1::5'), 300);
      agent.tick(900);
      expect(kernel.take()).toEqual([]);
      agent.tick(1000);
      expect(kernel.take()).toEqual(['solicit 2001:db8:1::5 swp1']);
      agent.onEvent(neigh('2001:db8:1::5', 'REACHABLE'), 1200);
      expect(kernel.take()).toEqual(['replace 2001:db8:1::5 swp1 254']);
      for (let t = 1200; t <= 4200; t += 100) agent.tick(t);
      expect(kernel.take().filter((c) => !c.startsWith('probe') && !c.startsWith('solicit 10.') && !c.startsWith('solicit 2001:db8:1::7')))
        .toEqual(['delroute 2001:db8:1::5 swp1 254', 'delneigh 2001:db8:1::5 swp1', 'solicit 2001:db8:1::5 swp1']);
      expect(logger.lines).toContain(
        'INFO timeline 2001:db8:1::5 dev swp1: learned 1970-01-01T00:00:01.200Z confirmed 1970-01-01T00:00:01.200Z ' +
          'probed 1970-01-01T00:00:03.700Z failed - withdrawn 1970-01-01T00:00:04.200Z',
      );
    });

    it('reconciles both families at start, each with its own table', () => {
      const { kernel, logger, agent } = setup();
      const dump = [neigh('2001:db8:1::5', 'REACHABLE'), neigh('2001:db8:1::6', 'STALE'), neigh('10.1.0.5', 'REACHABLE')];
      const routes = tableRoutes(['2001:db8:1::5 dev swp1 proto 72 metric 1024 pref medium', '2001:db8:1::8 dev swp3 proto 72 metric 1024 pref medium', '10.1.0.5 dev swp1 table 10 proto 72 scope link']);
      agent.reconcile({ neighbors: dump, routes }, 0);
      expect(kernel.take()).toEqual(['replace 2001:db8:1::6 swp1 254', 'delroute 2001:db8:1::8 swp3 254']);
      expect(logger.lines).toContain('INFO route kept 2001:db8:1::5/128 dev swp1 table main: neighbor REACHABLE at start');
      expect(logger.lines).toContain('INFO route del 2001:db8:1::8/128 dev swp3 table main: stale at start, no live neighbor');
    });

    it('moves only the /128s when ipv6_route_table changes, only the /32s when route_table does', () => {
      const { kernel, logger, agent } = setup();
      agent.onEvent(neigh('2001:db8:1::5', 'REACHABLE'), 0);
      agent.onEvent(neigh('10.1.0.5', 'REACHABLE'), 0);
      kernel.take();
      agent.configure(parseConfig('route_table = 10\nipv6_route_table = 10\n', 'x'));
      expect(kernel.take()).toEqual(['delroute 2001:db8:1::5 swp1 254', 'replace 2001:db8:1::5 swp1 10']);
      expect(logger.lines.at(-1)).toBe('INFO route move 2001:db8:1::5/128 dev swp1 table main -> 10: ipv6_route_table changed');
      agent.configure(parseConfig('route_table = 20\nipv6_route_table = 10\n', 'x'));
      expect(kernel.take()).toEqual(['delroute 10.1.0.5 swp1 10', 'replace 10.1.0.5 swp1 20']);
      expect(logger.lines.at(-1)).toBe('INFO route move 10.1.0.5/32 dev swp1 table 10 -> 20: route_table changed');
    });

    it('logs neighbor events of ports in debug_arp as nd lines', () => {
      const { logger, agent } = setup('debug_arp = swp1\n');
      agent.onEvent(neigh('2001:db8:1::5', 'REACHABLE'), 0);
      expect(logger.lines[0]).toBe(`INFO nd swp1: 2001:db8:1::5 ${MAC} REACHABLE`);
    });
  });
});
