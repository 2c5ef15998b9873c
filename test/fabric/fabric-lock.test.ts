/**
 * The lock held on the fabric itself (two operators, two machines, one fabric): the node-side
 * scripts run by a real /bin/sh on this machine, each "node" a directory of its own standing
 * for its /run/cldemo. No root, no network.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DockerEngine } from '../../src/transport/docker-engine.js';
import type { ExecResult, NodeConnection } from '../../src/transport/node-connection.js';
import { FabricLockedError, lockFabric, lockScripts, newHolder, STALE_AFTER_S, takeNodeLock, type FabricHolder } from '../../src/fabric/change/fabric-lock.js';
import { NodeError } from '../../src/errors.js';
import { readProcStat } from '../../src/proc-stat.js';
import { silentProgress, type FabricContext } from '../../src/fabric/context.js';
import type { NodePlan } from '../../src/topology/types.js';

/** What lockFabric is told the lock directory is; each node's shell reads it as its own directory. */
const DIR = '/cldemo-test-lock-dir';

class ShellNode implements NodeConnection {
  constructor(
    readonly node: string,
    readonly dir: string,
  ) {}
  async exec(command: string): Promise<ExecResult> {
    // asynchronous, as over SSH: two runs' scripts interleave on one node
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command.replaceAll(DIR, this.dir)]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }
  async putFile(): Promise<void> {}
  async getFile(): Promise<string | null> {
    return null;
  }
  docker(): DockerEngine {
    throw new Error('no docker here');
  }
  async close(): Promise<void> {}
  get lockFile(): string {
    return join(this.dir, 'fabric.lock');
  }
  holder(): FabricHolder | undefined {
    return existsSync(this.lockFile) ? (JSON.parse(readFileSync(this.lockFile, 'utf8')) as FabricHolder) : undefined;
  }
  /** a lock file as another run left it; `ageS` back-dates it */
  plant(holder: Partial<FabricHolder> | string, ageS = 0): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.lockFile, typeof holder === 'string' ? holder : JSON.stringify({ ...other(), ...holder }));
    spawnSync('touch', ['-d', `@${Math.floor(Date.now() / 1000) - ageS}`, this.lockFile]);
  }
}

let root: string;
let sleeper: ChildProcess;
beforeAll(() => {
  sleeper = spawn('sleep', ['120']);
});
afterAll(() => {
  sleeper.kill();
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cldemo-fabric-lock-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function startOf(pid: number): string {
  return readProcStat(pid)!.start;
}

/** Another operator's run, on another machine. */
function other(): FabricHolder {
  return { user: 'alice', host: 'laptop2', pid: 4242, start: '99', command: 'cldemo up -t dc1.yaml', topology: 'dc1', since: '2026-12-01T10:00:00.000Z', token: 'a1a1a1a1a1a1a1a1' };
}

function fleet(names: string[]): { nodes: NodePlan[]; shells: Map<string, ShellNode>; ctx: FabricContext; unreachable: Set<string> } {
  const shells = new Map(names.map((n) => [n, new ShellNode(n, join(root, n))]));
  const unreachable = new Set<string>();
  const nodes = names.map((name) => ({ name }) as NodePlan);
  const ctx: FabricContext = {
    plan: {} as FabricContext['plan'],
    parallel: 4,
    progress: silentProgress,
    connect: async (node) => {
      if (unreachable.has(node.name)) throw new NodeError(node.name, 'cannot open SSH to root@10.0.0.1:22: connect ECONNREFUSED');
      return shells.get(node.name)!;
    },
  };
  return { nodes, shells, ctx, unreachable };
}

describe('the fabric lock on one node', () => {
  test('taken on a free node: a complete holder file, 0600 in a 0700 directory; released only by its token', async () => {
    const node = new ShellNode('tor1', join(root, 'tor1'));
    const me = newHolder('dc1', 'cldemo up -t dc1.yaml');
    expect(await takeNodeLock('tor1', node, me, DIR)).toBeUndefined();
    expect(node.holder()).toEqual(me);
    expect([statSync(node.dir).mode & 0o777, statSync(node.lockFile).mode & 0o777]).toEqual([0o700, 0o600]);
    expect((await node.exec(lockScripts.refresh(me.token, DIR))).stdout.trim()).toBe('refreshed');
    expect((await node.exec(lockScripts.release('ffffffffffffffff', DIR))).stdout.trim()).toBe('lost');
    expect(node.holder()).toEqual(me);
    expect((await node.exec(lockScripts.release(me.token, DIR))).stdout.trim()).toBe('released');
    expect(existsSync(node.lockFile)).toBe(false);
  });

  test("another machine's lock, refreshed lately: refused, naming it", async () => {
    const node = new ShellNode('tor1', join(root, 'tor1'));
    node.plant({}, 12);
    const held = await takeNodeLock('tor1', node, newHolder('dc1'), DIR);
    expect(held).toMatchObject({ node: 'tor1', holder: other() });
    expect(held!.ageS).toBeGreaterThanOrEqual(12);
    expect(held!.ageS).toBeLessThan(20);
    expect(node.holder()).toEqual(other());
  });

  test(`another machine's lock not refreshed for ${STALE_AFTER_S} s, one of a dead process here, and an unreadable one are taken over`, async () => {
    const dead = spawnSync('true').pid!;
    const cases: Array<[string, Partial<FabricHolder> | string, number]> = [
      ['silent', {}, STALE_AFTER_S + 5],
      ['dead here', { host: hostname(), pid: dead, start: '1' }, 0],
      ['unreadable', 'garbage', 0],
    ];
    for (const [label, holder, age] of cases) {
      const node = new ShellNode(label, join(root, label.replace(' ', '-')));
      node.plant(holder, age);
      const me = newHolder('dc1');
      expect([label, await takeNodeLock(label, node, me, DIR)]).toEqual([label, undefined]);
      expect(node.holder()).toEqual(me);
    }
  });

  test('a live process here holds it: refused (same machine, another user or HOME)', async () => {
    const node = new ShellNode('tor1', join(root, 'tor1'));
    node.plant({ host: hostname(), pid: sleeper.pid!, start: startOf(sleeper.pid!) });
    expect(await takeNodeLock('tor1', node, newHolder('dc1'), DIR)).toMatchObject({ holder: { pid: sleeper.pid } });
  });
});

describe('the fabric lock on every node', () => {
  test('one node held: what was taken is released, the run is refused naming node, holder, pid and lock', async () => {
    const { nodes, shells, ctx } = fleet(['core1', 'tor1', 'tor2', 'web1']);
    shells.get('tor2')!.plant({}, 3);
    const err = await lockFabric(ctx, nodes, newHolder('dc1'), DIR).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FabricLockedError);
    expect((err as Error).message).toMatch(/^the fabric is locked on tor2 by another run: alice@laptop2 pid 4242 \(cldemo up -t dc1\.yaml, topology dc1\) since 2026-12-01T10:00:00\.000Z, refreshed \d+ s ago; wait for it to finish \(a lock not refreshed for 300 s is taken over; lock file \/run\/cldemo\/fabric\.lock on each node\)$/);
    for (const n of ['core1', 'tor1', 'web1']) expect([n, shells.get(n)!.holder()]).toEqual([n, undefined]);
    expect(shells.get('tor2')!.holder()).toEqual(other());
  });

  test('all free: every node locked until release; an unreachable node is left unlocked and named', async () => {
    const { nodes, shells, ctx, unreachable } = fleet(['core1', 'tor1', 'web1']);
    unreachable.add('web1');
    const me = newHolder('dc1');
    const held = await lockFabric(ctx, nodes, me, DIR);
    expect(held.unlocked).toEqual(['web1']);
    expect(['core1', 'tor1'].map((n) => shells.get(n)!.holder()?.token)).toEqual([me.token, me.token]);
    await held.release();
    expect(['core1', 'tor1'].map((n) => shells.get(n)!.holder())).toEqual([undefined, undefined]);
  });

  test('two runs at once, nodes in opposite orders: never both, never a deadlock', async () => {
    const names = ['core1', 'core2', 'tor1', 'tor2', 'web1', 'web2'];
    const { nodes, ctx } = fleet(names);
    for (let round = 0; round < 8; round++) {
      const [a, b] = [newHolder('dc1'), newHolder('dc1-copy')];
      const results = await Promise.allSettled([lockFabric(ctx, nodes, a, DIR), lockFabric(ctx, [...nodes].reverse(), b, DIR)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won.length).toBeLessThanOrEqual(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(FabricLockedError);
      for (const r of won) await (r as PromiseFulfilledResult<Awaited<ReturnType<typeof lockFabric>>>).value.release();
      for (const n of names) expect(existsSync(join(root, n, 'fabric.lock'))).toBe(false);
    }
  });
});
