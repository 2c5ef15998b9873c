/**
 * graph --serve as an operator stops it. Ctrl-C is how a running server ends (exit 0, as
 * `events`); one that comes while it is still reaching the nodes, before it says it is watching,
 * interrupts its start: it stops cleanly all the same, and exits as every interrupted command
 * does (130; SIGTERM 143), where it used to be killed outright. An IPv6 listening address is
 * written in brackets, and the page answers there. As an ordinary user, on an external
 * topology: either its known_hosts file does not exist (nothing is sent to any node), or its
 * nodes are silent TCP listeners of this test's own on 127.0.0.1 (SSH never gets an answer,
 * so the server is held before it watches for as long as the test wants).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverUrl } from '../../src/graph/serve.js';

let dir: string;
let topology: string;
/** the same topology, every node a silent listener on 127.0.0.1 */
let silent: string;
const listeners: Server[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cldemo-serve-stop-'));
  topology = join(dir, 'external.yaml');
  const text = readFileSync('test/fixtures/hostile/external-ok.yaml', 'utf8');
  writeFileSync(topology, text.replace(/^lab:/m, `ssh: { known_hosts: ${join(dir, 'no-known-hosts')} }\nlab:`));
  const ports: number[] = [];
  for (const _ of text.match(/mgmt: \{ host: 192\.0\.2\.\d+ \}/g)!) {
    const s = createServer((socket) => sockets.add(socket));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    listeners.push(s);
    ports.push((s.address() as { port: number }).port);
  }
  silent = join(dir, 'silent.yaml');
  writeFileSync(join(dir, 'known_hosts'), '');
  let i = 0;
  const quiet = text.replace(/mgmt: \{ host: 192\.0\.2\.\d+ \}/g, () => `mgmt: { host: 127.0.0.1, port: ${ports[i++]} }`);
  writeFileSync(silent, quiet.replace(/^lab:/m, `ssh: { known_hosts: ${join(dir, 'known_hosts')} }\nlab:`));
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(listeners.map((s) => new Promise<void>((r) => s.close(() => r()))));
  rmSync(dir, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  stderr: () => string;
  /** resolves with the first stderr line matching `re` */
  line(re: RegExp): Promise<string>;
  exit: Promise<number | null>;
}

function serve(host: string, file = topology): Served {
  const child = spawn(process.execPath, ['bin/cldemo.js', 'graph', '--serve', '--host', host, '--port', '0', '-t', file], { env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  const waiting: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiting]) {
      const hit = stderr.split('\n').find((l) => w.re.test(l));
      if (hit !== undefined) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => (clearTimeout(killer), r(c))));
  const line = (re: RegExp) =>
    new Promise<string>((resolve) => {
      const seen = stderr.split('\n').find((l) => re.test(l));
      if (seen !== undefined) resolve(seen);
      else waiting.push({ re, resolve });
    });
  return { child, stderr: () => stderr, exit, line };
}

test('--host ::1: the URL has the address in brackets, and the page answers there; Ctrl-C once it watches: exit 0', async () => {
  const s = serve('::1');
  const line = await s.line(/^serving /);
  const url = /on (\S+) \(Ctrl-C stops\)/.exec(line)![1];
  expect(url).toMatch(/^http:\/\/\[::1\]:\d+\/$/);
  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<html/i);
  await s.line(/^watching \d+ nodes/);
  s.child.kill('SIGINT');
  expect(await s.exit).toBe(0);
  expect(s.stderr()).not.toMatch(/error|interrupted|at .*\.js:\d+/);
});

test('a SIGINT while it still reaches the nodes, before it watches: it stops cleanly, says so, exit 130 (it was killed outright)', async () => {
  const s = serve('127.0.0.1', silent);
  await s.line(/^serving /);
  await new Promise((r) => setTimeout(r, 300));
  expect(s.stderr()).not.toMatch(/watching/);
  s.child.kill('SIGINT');
  expect(await s.exit).toBe(130);
  expect(s.stderr()).toMatch(/\ninterrupted by SIGINT before it was watching the fabric; stopped cleanly\n$/);
  expect(s.stderr()).not.toMatch(/error|at .*\.js:\d+/);
});

test('SIGTERM before it watches: exit 143', async () => {
  const s = serve('127.0.0.1', silent);
  await s.line(/^serving /);
  s.child.kill('SIGTERM');
  expect(await s.exit).toBe(143);
});

test('serverUrl: IPv6 in brackets, whether the family is reported as a word or a number', () => {
  expect(serverUrl({ address: '::1', family: 'IPv6', port: 8470 })).toBe('http://[::1]:8470/');
  expect(serverUrl({ address: 'fe80::1', family: 6 as unknown as string, port: 1 })).toBe('http://[fe80::1]:1/');
  expect(serverUrl({ address: '127.0.0.1', family: 'IPv4', port: 80 })).toBe('http://127.0.0.1:80/');
});
