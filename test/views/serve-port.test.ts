/**
 * graph --serve on a port that is taken: one line naming the port, exit 1, by itself, and
 * nothing left running (it listens before it watches, so no node is contacted). How fast it
 * gives up is not timed here: a test on a shared, loaded machine waits for conditions. As an
 * ordinary user: the topology is external, and its known_hosts file does not exist, so
 * even a build that did contact nodes would fail before sending anything.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlanSync } from '../../src/providers.js';
import { serveGraph } from '../../src/graph/serve.js';
import { silentProgress, type FabricContext } from '../../src/fabric/context.js';
import { OperationError } from '../../src/errors.js';

let holder: Server;
let port: number;
let dir: string;

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  port = (holder.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'cldemo-serve-port-'));
});

afterAll(async () => {
  await new Promise<void>((r) => holder.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('serveGraph on a taken port rejects naming the port, before any node is contacted, and leaves no timer behind', async () => {
  const plan = loadPlanSync('topology.yaml');
  const contacted: string[] = [];
  const ctx: FabricContext = {
    plan,
    parallel: 4,
    progress: silentProgress,
    connect: async (n) => {
      contacted.push(n.name);
      throw new Error('no nodes in this test');
    },
  };
  const before = timers();
  const err = await serveGraph(ctx, { host: '127.0.0.1', port }).then(
    (live) => live.close().then(() => undefined),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OperationError);
  expect((err as Error).message).toBe(`graph --serve cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE): stop what holds it, or give another with --port`);
  expect(contacted).toEqual([]);
  expect(timers()).toBe(before);
});

test('cldemo graph --serve on a taken port exits 1 by itself, one line on stderr naming the port', async () => {
  const topology = join(dir, 'external.yaml');
  const text = readFileSync('test/fixtures/hostile/external-ok.yaml', 'utf8').replace(/^lab:/m, `ssh: { known_hosts: ${join(dir, 'no-known-hosts')} }\nlab:`);
  writeFileSync(topology, text);
  const child = spawn(process.execPath, ['bin/cldemo.js', 'graph', '--serve', '--port', String(port), '-t', topology], { env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // one that hangs (watching, or trying nodes) is killed: no exit code of its own
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(killer);
  expect(stderr.trim().split('\n')).toEqual([`error: graph --serve cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE): stop what holds it, or give another with --port`]);
  expect(code).toBe(1);
}, 30_000);
