/**
 * The transport against a real sshd and a real dockerd in a private namespace node
 * (bench/lib/ssh-docker-node.js). Needs root, like the rest of the integration suite.
 * @needs-root starts sshd and dockerd in a private namespace node
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { NodeError } from '../../src/errors.js';
import { ConnectionPool } from '../../src/transport/pool.js';
import { connectNode } from '../../src/transport/ssh-connect.js';
import type { NodeConnection } from '../../src/transport/node-connection.js';
import type { DockerodeEngine } from '../../src/transport/docker.js';
import { startSshDockerNode, type SshDockerNode } from './fixture.js';

let node: SshDockerNode;
let pool: ConnectionPool;
let conn: NodeConnection;

beforeAll(async () => {
  node = await startSshDockerNode();
  pool = new ConnectionPool();
  conn = await pool.get('server01', node.mgmt);
}, 120_000);

afterAll(async () => {
  await pool?.closeAll();
  await node?.stop();
}, 60_000);

describe('exec', () => {
  test('runs through the remote shell and returns stdout, stderr and the exit code', async () => {
    const res = await conn.exec('echo out; echo err >&2; printf "%s" "$((6*7))" | tr 4 X; exit 3');
    expect(res).toEqual({ code: 3, stdout: 'out\nX2', stderr: 'err\n' });
  });

  test('feeds stdin', async () => {
    const res = await conn.exec('wc -l; cat >/dev/null', { stdin: 'a\nb\nc\n' });
    expect(res).toMatchObject({ code: 0, stdout: '3\n' });
  });

  test('a command that outlives its timeout is a NodeError naming the node', async () => {
    const started = 'sleep 30.25 & sleep 30.25; wait'; // children too, not only the shell
    await expect(conn.exec(started, { timeoutMs: 300 })).rejects.toThrow(`server01: timed out after 300 ms: ${started}`);
    expect((await conn.exec('true')).code).toBe(0); // the connection survives
    // and the remote command was killed rather than left behind
    const left = await conn.exec('for i in $(seq 50); do pgrep -f "^sleep 30.25" || exit 0; sleep 0.1; done; exit 1');
    expect(left).toMatchObject({ code: 0, stdout: '' });
    expect(await conn.exec('exit 5', { timeoutMs: 5000 })).toMatchObject({ code: 5 });
  });
});

describe('files', () => {
  const path = () => join(node.dir, 'uploaded.conf');

  test('putFile writes content and mode; getFile reads it back', async () => {
    await conn.putFile('router bgp 65011\n', path(), 0o640);
    expect(await conn.getFile(path())).toBe('router bgp 65011\n');
    expect(readFileSync(path(), 'utf8')).toBe('router bgp 65011\n');
    expect((await conn.exec(`stat -c %a ${path()}`)).stdout.trim()).toBe('640');
    await conn.putFile(Buffer.from('replaced\n'), path(), 0o600);
    expect(await conn.getFile(path())).toBe('replaced\n');
    expect((await conn.exec(`stat -c %a ${path()}`)).stdout.trim()).toBe('600');
  });

  test('getFile of a missing file is null', async () => {
    expect(await conn.getFile(join(node.dir, 'no-such-file'))).toBeNull();
  });
});

describe('host key verification', () => {
  const knownHosts = (name: string, text: string): string => {
    const file = join(node.dir, name);
    writeFileSync(file, text);
    return file;
  };

  test('a hashed known_hosts entry (ssh-keygen -H) is accepted', async () => {
    const file = knownHosts('known_hosts.hashed', `${node.hostKeyLine}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    const c = await connectNode('leaf01', { ...node.mgmt, knownHosts: file });
    expect((await c.exec('echo ok')).stdout).toBe('ok\n');
    await c.close();
  });

  test('a different key on record is refused, naming the node and the file', async () => {
    const other = join(node.dir, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const [type, key] = readFileSync(`${other}.pub`, 'utf8').split(' ');
    const file = knownHosts('known_hosts.wrong', `# stale\n${node.host} ${type} ${key}\n`);
    const err = await connectNode('leaf01', { ...node.mgmt, knownHosts: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect((err as NodeError).node).toBe('leaf01');
    expect((err as Error).message).toBe(
      `leaf01: host key of ${node.host} does NOT match ${file}:2; refusing to connect (the node was reinstalled, or someone is in the middle)`,
    );
  });

  test('a host missing from known_hosts is refused', async () => {
    const file = knownHosts('known_hosts.empty', '10.9.9.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIYIvtutjycSymMqRBMLAEAl+WhBaQq0NZ+tUw6qkdv3\n');
    await expect(connectNode('leaf02', { ...node.mgmt, knownHosts: file })).rejects.toThrow(
      `leaf02: host key of ${node.host} is not in ${file}; refusing to connect`,
    );
  });

  test('a missing known_hosts file is refused', async () => {
    const file = join(node.dir, 'nope');
    await expect(connectNode('leaf02', { ...node.mgmt, knownHosts: file })).rejects.toThrow(
      `leaf02: cannot read known_hosts file ${file}`,
    );
  });
});

describe('Docker API through the connection', () => {
  let docker: Docker;
  beforeAll(() => {
    // the tunnel under test carries dockerode's whole API, not just cldemo's DockerEngine
    docker = (conn.docker() as DockerodeEngine).dockerode;
  });

  test('version and listContainers reach the node dockerd', async () => {
    const version = await docker.version();
    expect(version.Version).toBe(node.exec('docker', ['version', '--format', '{{.Server.Version}}']).trim());
    expect(await docker.listContainers({ all: true })).toEqual([]);
  });

  test('no dockerd behind the socket is a NodeError naming the node', async () => {
    const err = await conn.docker('/run/no-docker.sock').ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect((err as Error).message).toMatch(/^server01: cannot reach Docker at \/run\/no-docker.sock over SSH \(is dockerd running\?\): /);
  });

  test('sequential calls reuse kept-alive channels', async () => {
    const engine = conn.docker() as DockerodeEngine;
    const before = engine.channelsOpened;
    for (let i = 0; i < 10; i += 1) await engine.ping();
    expect(engine.channelsOpened - before).toBeLessThanOrEqual(1);
  });

  test('the events stream delivers events as they happen', async () => {
    const events = (await docker.getEvents({ filters: { type: ['volume'] } })) as NodeJS.ReadableStream & { destroy(): void };
    const seen = new Promise<{ Action: string; Actor: { ID: string } }>((resolve) => {
      events.on('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString())));
    });
    await docker.createVolume({ Name: 'trt-events' });
    expect(await seen).toMatchObject({ Action: 'create', Actor: { ID: 'trt-events' } });
    events.destroy();
    await docker.getVolume('trt-events').remove();
  });

  test('attach, start and logs of a container work through the tunnel', async () => {
    await importTinyImage(docker, 'trt-sh:1');
    const container = await docker.createContainer({
      Image: 'trt-sh:1',
      Cmd: ['/bin/sh', '-c', 'read line; echo "got $line"; echo bye >&2'],
      OpenStdin: true,
      StdinOnce: true,
      HostConfig: { NetworkMode: 'none' },
    });
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(stream, out, err);
    const ended = new Promise((resolve) => stream.on('end', resolve));
    await container.start();
    stream.write('hello\n');
    await ended;
    await container.wait();
    expect(out.read()?.toString()).toBe('got hello\n');
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    expect(logs.toString()).toContain('bye');
    await container.remove({ force: true });
  });
});

describe('one connection per node', () => {
  test('every exec, file and Docker call shares one SSH handshake', async () => {
    const logins = node.acceptedLogins();
    const local = new ConnectionPool();
    const c = await local.get('server01', node.mgmt);
    expect(await local.get('server01', node.mgmt)).toBe(c);
    await Promise.all(Array.from({ length: 8 }, (_, i) => c.exec(`echo ${i}`)));
    await c.putFile('x', join(node.dir, 'reuse'));
    await c.getFile(join(node.dir, 'reuse'));
    await c.docker().version();
    await c.docker().listContainers();
    await local.closeAll();
    expect(node.acceptedLogins() - logins).toBe(1);
    expect(local.handshakes).toBe(1);
  });
});

describe('an unreachable node', () => {
  test('is a NodeError naming the node; the pool forgets it so a retry dials again', async () => {
    const local = new ConnectionPool({ readyTimeoutMs: 3000 });
    const mgmt = { ...node.mgmt, port: 2200 }; // nothing listens there
    const err = await local.get('server04', mgmt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect((err as Error).message).toMatch(new RegExp(`^server04: cannot open SSH to root@${node.host}:2200: .*ECONNREFUSED`));
    await expect(local.get('server04', mgmt)).rejects.toThrow(/^server04: /);
    expect(local.handshakes).toBe(2);
  });
});

/** An image holding only dash and the two libraries it needs, made from the host's files. */
async function importTinyImage(docker: Docker, tag: string): Promise<void> {
  const tar = execFileSync('tar', ['-C', '/', '--dereference', '-cf', '-',
    '--transform', 's,^usr/bin/dash$,bin/sh,', '--transform', 's,^usr/lib64/,lib64/,', '--transform', 's,^usr/lib/,lib/,',
    'usr/bin/dash', 'usr/lib/x86_64-linux-gnu/libc.so.6', 'usr/lib64/ld-linux-x86-64.so.2'], { maxBuffer: 64 << 20 });
  const [repo, tagName] = tag.split(':');
  const body = new PassThrough();
  body.end(tar);
  const progress = await docker.importImage(body, { repo, tag: tagName });
  await new Promise((resolve, reject) => docker.modem.followProgress(progress, (e) => (e ? reject(e) : resolve(null))));
}
