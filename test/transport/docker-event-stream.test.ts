/**
 * Docker's event stream against a fake engine on a Unix socket, directly and through an
 * in-process sshd (the way cldemo reaches a server): a quiet stream outlives the client's
 * request timeout (dockerode's `timeout` used to end it after 120 s without a word, and the
 * error was swallowed), ordinary calls keep theirs, and a stream's own end is reported.
 */
import Docker from 'dockerode';
import ssh2 from 'ssh2';
import { readFileSync } from 'node:fs';
import { DockerodeEngine, dockerOverSsh, dockerTime } from '../../src/transport/docker.js';
import type { ContainerEvent } from '../../src/transport/docker-engine.js';
import { startFakeDocker, type FakeDocker } from './fake-docker.js';
import { startFakeSshd, type FakeSshd } from './fake-sshd.js';

const TIMEOUT_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let engine: FakeDocker;

beforeEach(async () => {
  engine = await startFakeDocker();
});

afterEach(async () => {
  await engine.stop();
});

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await sleep(10)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/** Quiet for three request timeouts, then an event: it must still arrive, and the stream must not have ended. */
async function quietThenEvent(docker: DockerodeEngine): Promise<void> {
  const seen: ContainerEvent[] = [];
  const stream = await docker.containerEvents({ actions: ['start', 'die'] }, (e) => seen.push(e));
  let ended: string | undefined;
  void stream.ended.then((why) => (ended = why));
  await sleep(3 * TIMEOUT_MS);
  expect(ended).toBeUndefined();
  const at = engine.emit({ action: 'die', name: 'server01-10.0.0.11', exitCode: 137 });
  await until('the event after the quiet stretch', () => seen.length === 1);
  expect(seen[0]).toEqual({ action: 'die', container: 'server01-10.0.0.11', at, exitCode: 137, id: 'id-server01-10.0.0.11' });
  // an ordinary call still has its timeout
  const started = Date.now();
  await expect(docker.listContainers()).rejects.toThrow(/server01: docker list containers/);
  expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
  stream.close();
  expect(ended).toBeUndefined();
}

test('over the socket: a quiet event stream outlives the request timeout; ordinary calls keep it', async () => {
  const docker = new DockerodeEngine('server01', new Docker({ socketPath: engine.socketPath, timeout: TIMEOUT_MS }));
  await quietThenEvent(docker);
});

describe('over SSH (a direct-streamlocal channel per request)', () => {
  let sshd: FakeSshd;
  let client: ssh2.Client;

  beforeEach(async () => {
    sshd = await startFakeSshd({ streamLocal: (path) => (path === '/var/run/docker.sock' ? engine.socketPath : undefined) });
    client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve()).once('error', reject);
      client.connect({ host: '127.0.0.1', port: sshd.port, username: 'tester', privateKey: readFileSync(sshd.mgmt.identityFile!), hostVerifier: () => true });
    });
  });

  afterEach(async () => {
    client.end();
    await sshd.stop();
  });

  test('a quiet event stream outlives the request timeout; ordinary calls keep it', async () => {
    const docker = dockerOverSsh('server01', client, '/var/run/docker.sock', 'socket', TIMEOUT_MS);
    await quietThenEvent(docker);
    docker.destroy();
  });

  test('the connection dropping ends the stream, and says so', async () => {
    const docker = dockerOverSsh('server01', client, '/var/run/docker.sock', 'socket', TIMEOUT_MS);
    const stream = await docker.containerEvents({ actions: ['start'] }, () => undefined);
    sshd.dropAll();
    await expect(stream.ended).resolves.toMatch(/dockerd ended the event stream|connection to dockerd closed|failed/);
  });
});

test('dockerd ending the stream resolves `ended` with why; since= is sent as seconds.nanoseconds', async () => {
  const docker = new DockerodeEngine('server01', new Docker({ socketPath: engine.socketPath, timeout: TIMEOUT_MS }));
  const seen: ContainerEvent[] = [];
  const first = engine.emit({ action: 'start', name: 'c1', at: 1_764_417_600_123.456 });
  const stream = await docker.containerEvents({ actions: ['start'], since: first - 1 }, (e) => seen.push(e));
  expect(engine.sinces).toEqual(['1764417600.122456000']);
  expect(dockerTime(first - 1)).toBe('1764417600.122456000');
  expect(stream.startedAt).toBeGreaterThan(Date.now() - 60_000);
  await until('the replayed event', () => seen.length === 1);
  engine.endStreams();
  await expect(stream.ended).resolves.toBe('dockerd ended the event stream');
});
