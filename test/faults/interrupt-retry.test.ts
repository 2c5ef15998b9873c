/**
 * Interrupts and lost connections against fake nodes: no node starts after the signal, the
 * report says which were not started, a file installed but not applied is applied next time,
 * and a node whose connection dropped is retried once and otherwise fails alone.
 */
import { loadPlanSync } from '../../src/providers.js';
import { renderAll } from '../../src/render/index.js';
import { up } from '../../src/fabric/change/up.js';
import { silentProgress, type FabricContext } from '../../src/fabric/context.js';
import { UNAPPLIED } from '../../src/fabric/change/config-files.js';
import type { AgentBundle } from '../../src/fabric/change/agent.js';
import type { Plan } from '../../src/topology/types.js';
import { FakeFleet } from '../fabric/fake-node.js';

const plan: Plan = loadPlanSync('topology.yaml');
const agent: AgentBundle = { hash: 'abc123', files: new Map([['main.js', '// agent'], ['package.json', '{}']]) };

function fresh(): FakeFleet {
  const fleet = new FakeFleet();
  for (const s of plan.servers) fleet.get(s.name).dockerd.images.add(plan.image);
  for (const sw of plan.switches) fleet.get(sw.name).on(/^test -f /, { code: 1 }).on(/kill -0/, { stdout: 'started\n' });
  return fleet;
}

describe('interrupted up', () => {
  test('after the signal no node starts; those in flight finish; the report names the rest', async () => {
    const fleet = fresh();
    const controller = new AbortController();
    const started: string[] = [];
    const ctx: FabricContext = {
      plan,
      parallel: 2,
      progress: silentProgress,
      signal: controller.signal,
      connect: async (node) => {
        started.push(node.name);
        if (started.length === 2) controller.abort('SIGINT');
        return fleet.connect(node);
      },
    };
    const report = await up(ctx, { agent });
    expect(report.interrupted).toBe('SIGINT');
    const done = report.nodes.filter((n) => n.ok).map((n) => n.name);
    const skipped = report.nodes.filter((n) => n.skipped).map((n) => n.name);
    // the two in flight when the signal came (leaves go first) finished; nothing else began
    expect(done.sort()).toEqual(['leaf01', 'leaf02']);
    expect(skipped).toHaveLength(plan.switches.length + plan.servers.length - 2);
    for (const n of report.nodes.filter((x) => x.skipped)) expect(n.error).toMatch(/not started: interrupted by SIGINT/);
    expect(fleet.get('leaf03').commands).toEqual([]);
    expect(fleet.get('server01').commands).toEqual([]);
    expect(fleet.get('spine01').commands).toEqual([]);
  });
});

describe('a file installed but not applied', () => {
  test('is applied by the next up, even though its content already matches', async () => {
    const fleet = fresh();
    // the first run's frr-reload fails after the file was installed
    fleet.get('leaf01').on(/frrinit\.sh restart|frr-reload/, { code: 1, stderr: 'connection to the node lost' });
    const first = await up({ plan, connect: fleet.connect, parallel: 4, progress: silentProgress }, { agent });
    expect(first.nodes.find((n) => n.name === 'leaf01')!.ok).toBe(false);
    const leaf01 = fleet.get('leaf01');
    expect(leaf01.files.get('/etc/frr/frr.conf')).toBe(renderAll(plan).get('leaf01')!.get('frr')!.text);
    expect(leaf01.files.has(`/etc/frr/frr.conf${UNAPPLIED}`)).toBe(true);

    leaf01.responders.pop();
    leaf01.commands = [];
    const second = await up({ plan, connect: fleet.connect, parallel: 4, progress: silentProgress }, { agent });
    const again = second.nodes.find((n) => n.name === 'leaf01')!;
    expect(again.ok).toBe(true);
    expect(again.records).toContainEqual({ type: 'apply-pending', path: '/etc/frr/frr.conf' });
    expect(leaf01.ran(/frrinit\.sh restart|frr-reload/).length).toBeGreaterThan(0);
    expect(leaf01.uploads.filter((u) => u.startsWith('/etc/frr/frr.conf'))).toHaveLength(1); // not uploaded twice
    expect(leaf01.files.has(`/etc/frr/frr.conf${UNAPPLIED}`)).toBe(false);
    // rdnbrd.conf was installed with it and never read by the agent: the agent is told to reread it
    expect(again.records).toContainEqual({ type: 'apply-pending', path: '/etc/rdnbrd.conf' });
    expect(leaf01.ran(/kill -HUP/)).toHaveLength(1);
    // and the third run has nothing left to do there
    const third = await up({ plan, connect: fleet.connect, parallel: 4, progress: silentProgress }, { agent });
    // (the fake always reports the agent missing; only the config part matters here)
    expect(third.nodes.find((n) => n.name === 'leaf01')!.records.filter((c) => c.type !== 'agent' || c.action === 'reload')).toEqual([]);
  });
});

describe('an rdnbrd.conf installed and applied, but the agent not told', () => {
  test('is reread by the agent on the next up', async () => {
    const fleet = fresh();
    // the first run installs and reloads, then fails telling the agent
    fleet.get('leaf01').responders.unshift((c) => (/kill -0/.test(c) ? { code: 1, stderr: 'connection to the node lost' } : undefined));
    const first = await up({ plan, connect: fleet.connect, parallel: 4, progress: silentProgress }, { agent });
    expect(first.nodes.find((n) => n.name === 'leaf01')!.ok).toBe(false);
    const leaf01 = fleet.get('leaf01');
    expect(leaf01.files.has(`/etc/rdnbrd.conf${UNAPPLIED}`)).toBe(true);

    leaf01.responders.shift();
    leaf01.commands = [];
    const second = await up({ plan, connect: fleet.connect, parallel: 4, progress: silentProgress }, { agent });
    expect(second.nodes.find((n) => n.name === 'leaf01')!.ok).toBe(true);
    expect(leaf01.ran(/kill -HUP/)).toHaveLength(1);
    expect(leaf01.files.has(`/etc/rdnbrd.conf${UNAPPLIED}`)).toBe(false);
  });
});

describe('a lost connection', () => {
  function lossy(fleet: FakeFleet, node: string, drops: number): FabricContext & { attempts: () => number } {
    let lost = false;
    let connects = 0;
    return {
      plan,
      parallel: 4,
      progress: silentProgress,
      reconnectDelayMs: 10,
      connectionLost: (n) => n === node && lost,
      attempts: () => connects,
      connect: async (n) => {
        const conn = await fleet.connect(n);
        if (n.name !== node) return conn;
        connects += 1;
        lost = false;
        if (connects > drops) return conn;
        // this connection drops under the first command that changes something
        return {
          ...conn,
          node: conn.node,
          getFile: (p: string) => conn.getFile(p),
          putFile: async () => {
            lost = true;
            throw new Error(`${node}: cannot write: No response from server`);
          },
          exec: (c: string) => conn.exec(c),
          docker: () => conn.docker(),
          close: () => conn.close(),
        };
      },
    } as FabricContext & { attempts: () => number };
  }

  test('is retried once and the node finishes', async () => {
    const fleet = fresh();
    const ctx = lossy(fleet, 'spine01', 1);
    const report = await up(ctx, { agent });
    expect(report.ok).toBe(true);
    expect(report.nodes.find((n) => n.name === 'spine01')!.records).toContainEqual({ type: 'install', path: '/etc/frr/frr.conf' });
  });

  test('that cannot be restored fails that node alone, naming it', async () => {
    const fleet = fresh();
    const ctx = lossy(fleet, 'spine01', 5);
    const report = await up(ctx, { agent });
    expect(report.nodes.filter((n) => !n.ok).map((n) => [n.name, n.error])).toEqual([['spine01', expect.stringMatching(/^SSH connection lost and not restored \(retried once after 0.01 s\): .*No response/)]]);
  });

  test('an ordinary failure (the connection still up) is not retried', async () => {
    const fleet = fresh();
    fleet.get('spine02').on(/^ifup --syntax-check/, { code: 1, stderr: 'bad' });
    let connects = 0;
    const ctx: FabricContext = { plan, parallel: 4, progress: silentProgress, connectionLost: () => false, connect: async (n) => (n.name === 'spine02' && connects++, fleet.connect(n)) };
    const report = await up(ctx, { agent });
    expect(report.nodes.filter((n) => !n.ok).map((n) => n.name)).toEqual(['spine02']);
    expect(connects).toBe(1);
  });
});
