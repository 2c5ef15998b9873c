/**
 * The operator who is not root. Root builds a lab (only the lab needs root); an ordinary
 * local user, with a home of its own and the lab's key and known_hosts copied into it (as an
 * operator has for real boxes), drives it as provider external: validate, up, ping-sweep,
 * verify-routes, status, events, graph (and --serve), down. Every cldemo command runs as that
 * user (spawned with its uid and gid, an environment with nothing of root's). Then: a second
 * operator on "another machine" is refused while the first one's up runs (the lock held on the
 * fabric), and what cldemo created for itself, here and on the nodes, is its owner's alone.
 * @needs-root builds a lab (network namespaces, FRR, sshd, dockerd) and adds a local user; run under the lab lock
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { jest } from '@jest/globals';
import { labUp } from '../../src/lab/up.js';
import { labDown } from '../../src/lab/down.js';
import { labStatus, type LabStatus } from '../../src/lab/inspect.js';
import { labKnownHostsFile } from '../../src/lab/names.js';
import { loadPlanSync } from '../../src/providers.js';
import type { Plan } from '../../src/topology/types.js';
import { guardLab } from '../helpers/lab.js';

jest.setTimeout(600_000);

const FIXTURE = resolve('test/e2e/fixtures/operator.yaml');
const USER = 'cldemo-op';

interface Run {
  code: number | null;
  signal?: string | null;
  stdout: string;
  stderr: string;
}

const labPlan = loadPlanSync(FIXTURE);
guardLab(labPlan.name);

let dir: string;
let uid: number;
let gid: number;
let addedUser = false;
/** where the user runs cldemo from: this checkout if the user can read it, else a copy of its own */
let cli: string;
let status: LabStatus;
let home: string;
let topology: string;
let plan: Plan;

/** A clean environment, as a login gives: nothing of root's (no XDG_RUNTIME_DIR, CLDEMO_STATE_DIR, SSH_AUTH_SOCK). */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, USER, LOGNAME: USER, LANG: 'C.UTF-8', NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

function asUser(args: string[], extra: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { uid, gid, cwd: join(home, 'fabric'), env: userEnv(extra), encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function json<T = Record<string, unknown>>(args: string[], extra: Record<string, string> = {}): Run & { doc: T } {
  const r = asUser([...args, '--json'], extra);
  try {
    return { ...r, doc: JSON.parse(r.stdout) as T };
  } catch {
    throw new Error(`cldemo ${args.join(' ')} --json (as ${USER}) printed no JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** As root on a node, the way the test itself looks (never the code under test). */
function asRoot(node: string, command: string): Run {
  const ip = status.nodes.find((n) => n.name === node)!.mgmt_ip;
  const r = spawnSync('ssh', ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${status.ssh.known_hosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-i', status.ssh.identity_file, `root@${ip}`, command], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function chownTree(path: string): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry));
}

/** Every path under `root` with its mode and owner, as "path mode uid". */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    out.push(`${relative(root, p) || '.'} ${(st.mode & 0o777).toString(8)} ${st.uid}`);
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
  };
  walk(root);
  return out;
}

/** The user's own copy of what cldemo needs to run, unless it can read this checkout. */
function userCli(): string {
  const here = resolve('bin/cldemo.js');
  if (spawnSync(process.execPath, [here, '--version'], { uid, gid, env: userEnv(), cwd: '/' }).status === 0) return here;
  const copy = join(dir, 'cldemo');
  mkdirSync(copy);
  for (const part of ['bin', 'dist', 'templates', 'assets', 'schema', 'node_modules', 'package.json']) {
    try {
      accessSync(part, constants.R_OK);
      cpSync(part, join(copy, part), { recursive: true });
    } catch {
      // not every checkout has every part
    }
  }
  chownTree(copy);
  return join(copy, 'bin', 'cldemo.js');
}

/** The account's comment: a user left by a run that died before its end is known as this test's and removed at the end. */
const GECOS = 'cldemo operator test';

function ensureUser(): void {
  const entry = spawnSync('getent', ['passwd', USER], { encoding: 'utf8' });
  if (entry.status !== 0) {
    // no home from useradd: the test gives the user a fresh one (HOME) each run
    const r = spawnSync('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', '--user-group', '--comment', GECOS, USER], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`useradd ${USER}: ${r.stderr}`);
  }
  addedUser = entry.status !== 0 || entry.stdout.split(':')[4] === GECOS;
  uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim());
  gid = Number(spawnSync('id', ['-g', USER], { encoding: 'utf8' }).stdout.trim());
}

/** The lab as provider external, as the operator writes it: addresses, and a key in ~/.ssh. */
function externalTopology(): string {
  let text = readFileSync(FIXTURE, 'utf8').replace(/^provider: lab/m, 'provider: external').replace(/^lab:.*\n/m, '');
  for (const n of status.nodes) {
    text = text.replace(new RegExp(`^(  ${n.name}:\\s*\\{)`, 'm'), `$1 mgmt: { host: ${n.mgmt_ip} },`).replace(new RegExp(`^(  ${n.name}:)\\s*$`, 'm'), `$1\n    mgmt: { host: ${n.mgmt_ip} }`);
  }
  return `${text}\nssh: { user: root, identity_file: ~/.ssh/lab_ed25519 }\n`;
}

/** A home for the user: ~/.ssh with the lab's key and known_hosts (0600), ~/fabric with the topology. */
function makeHome(path: string): void {
  mkdirSync(join(path, '.ssh'), { recursive: true, mode: 0o700 });
  mkdirSync(join(path, 'fabric'));
  writeFileSync(join(path, '.ssh', 'lab_ed25519'), readFileSync(status.ssh.identity_file), { mode: 0o600 });
  writeFileSync(join(path, '.ssh', 'known_hosts'), readFileSync(status.ssh.known_hosts), { mode: 0o600 });
  writeFileSync(join(path, 'fabric', 'external.yaml'), externalTopology());
  chmodSync(path, 0o700);
  chownTree(path);
}

beforeAll(async () => {
  ensureUser();
  await labDown(labPlan).catch(() => undefined);
  await labUp(labPlan, { install: false, log: () => undefined });
  status = await labStatus(labPlan);
  dir = mkdtempSync(join(tmpdir(), 'cldemo-operator-'));
  chmodSync(dir, 0o755);
  home = join(dir, 'home');
  makeHome(home);
  topology = join(home, 'fabric', 'external.yaml');
  plan = loadPlanSync(topology);
  cli = userCli();
});

/** The user's long-running commands (events, graph --serve, a background up): ended by pid if a test failed first. */
const children: ChildProcessWithoutNullStreams[] = [];
function spawnAsUser(args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [cli, ...args], { uid, gid, cwd: join(home, 'fabric'), env: userEnv() });
  children.push(child);
  return child;
}

/** userdel refuses while a process of the user lives: the children are gone by now, but give it a few tries and say why if not. */
async function removeUser(): Promise<void> {
  let r = spawnSync('userdel', [USER], { encoding: 'utf8' });
  for (let i = 0; r.status !== 0 && i < 10; i++) {
    await new Promise((res) => setTimeout(res, 300));
    r = spawnSync('userdel', [USER], { encoding: 'utf8' });
  }
  if (r.status !== 0) console.warn(`userdel ${USER} failed: ${r.stderr}`);
}

afterAll(async () => {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(running.map((c) => new Promise<void>((res) => (c.once('exit', () => res()), c.kill('SIGKILL')))));
  try {
    await labDown(labPlan);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (addedUser) await removeUser();
  }
});

describe('an ordinary user drives the lab nodes as provider external', () => {
  let before: string[];

  test('the user is not root, and its topology reaches the lab nodes by address with a key of its own', () => {
    expect(uid).toBeGreaterThan(0);
    expect(plan.provider).toBe('external');
    expect(plan.switches.map((s) => s.mgmt.host)).toEqual(labPlan.switches.map((s) => s.mgmt.host));
    before = tree(home);
  });

  test('validate and plan', () => {
    const v = asUser(['validate', '-t', 'external.yaml']);
    expect(v.stdout).toMatch(/external\.yaml: ok \(4 switches, 2 servers, 3 containers, 6 links\)/);
    expect(v.code).toBe(0);
    expect(json(['plan', '-t', 'external.yaml']).code).toBe(0);
  });

  test('up: every node changed, ok', () => {
    const r = json<{ ok: boolean; changed: boolean; nodes: { name: string; ok: boolean }[] }>(['up', '-t', 'external.yaml']);
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.doc.nodes.filter((n) => !n.ok)).toEqual([]);
    expect(r.doc).toMatchObject({ ok: true, changed: true });
    expect(r.code).toBe(0);
  });

  test('ping-sweep, and ping-sweep --subnet (which takes the lock)', () => {
    const r = json<{ containers: { name: string; answered: boolean }[] }>(['ping-sweep', '-t', 'external.yaml']);
    expect(r.doc.containers.map((c) => [c.name, c.answered])).toEqual(plan.containers.map((c) => [c.name, true]));
    expect(r.code).toBe(0);
    expect(asUser(['ping-sweep', '--subnet', '-t', 'external.yaml']).code).toBe(0);
  });

  test('verify-routes: every /32 on every switch, HTTP from another rack', () => {
    const r = json<{ ok: boolean; switches: { name: string; missing: string[]; unexpected: string[] }[]; dataplane: { name: string; status?: number }[] }>(['verify-routes', '-t', 'external.yaml', '--wait', '20']);
    expect(r.doc.switches.map((s) => [s.name, s.missing, s.unexpected])).toEqual(plan.switches.map((s) => [s.name, [], []]));
    expect(r.doc.dataplane.map((d) => [d.name, d.status])).toEqual(plan.containers.map((c) => [c.name, 200]));
    expect(r.code).toBe(0);
  });

  test('status: ok', () => {
    const r = json<{ ok: boolean; problems: unknown[] }>(['status', '-t', 'external.yaml']);
    expect(r.doc.problems).toEqual([]);
    expect(r.doc.ok).toBe(true);
    expect(r.code).toBe(0);
  });

  test('lab link on the real boxes, logged in as an unprivileged user with sudo there: without --yes exit 2, nothing changed; with it, down withdraws the routes across the link, up restores them', async () => {
    // beside the home, not in it: a later test counts what cldemo wrote there
    const file = join(dir, 'external-sudo.yaml');
    writeFileSync(file, readFileSync(topology, 'utf8').replace(/^ssh: .*$/m, 'ssh: { user: cldemo, sudo: true, identity_file: ~/.ssh/lab_ed25519 }'));
    chownSync(file, uid, gid);
    const refused = asUser(['lab', 'link', 'sp1:swp1', 'down', '-t', file]);
    expect([refused.code, refused.stdout, refused.stderr]).toEqual([2, '', 'error: lab link sp1:swp1 down changes a real sp1 (provider external): add --yes to do it\n']);
    expect(asRoot('sp1', 'ip -o link show dev swp1').stdout).toMatch(/[<,]UP[,>].*LOWER_UP/);

    type Ends = { changed: boolean; ends: { node: string; port: string; admin: string; carrier: boolean | null }[] };
    const down = json<Ends>(['lab', 'link', 'sp1:swp1', 'down', '--yes', '-t', file]);
    expect(down.code).toBe(0);
    // the named end is taken down; its peer loses carrier by itself, as a real one would
    expect(down.doc.ends.map((e) => [e.node, e.port, e.admin, e.carrier])).toEqual([['sp1', 'swp1', 'down', null], ['lf1', 'swp1', 'up', false]]);
    const srv1 = plan.containers.filter((c) => c.server === 'srv1').map((c) => `${c.ip}/32`).sort();
    const missingOn = (sw: string) => json<{ switches: { name: string; missing: string[] }[] }>(['verify-routes', '-t', file, '--no-dataplane']).doc.switches.find((s) => s.name === sw)!.missing.sort();
    // sp1 learned srv1's hosts across that cable alone (its other way to lf1 crosses its own AS)
    const deadline = Date.now() + 15_000;
    while (missingOn('sp1').length < srv1.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(missingOn('sp1')).toEqual(srv1);
    expect(missingOn('lf2')).toEqual([]);

    const up = json<Ends>(['lab', 'link', 'lf1:swp1', 'up', '--yes', '-t', file]);
    expect(up.code).toBe(0);
    expect(up.doc.ends.map((e) => [e.node, e.admin, e.carrier])).toEqual([['lf1', 'up', true], ['sp1', 'up', true]]);
    expect(json(['verify-routes', '-t', file, '--wait', '30']).code).toBe(0);
  });

  test('events: a container stopped and started on its server is seen, and its /32 withdrawn and added', async () => {
    const victim = plan.containers[plan.containers.length - 1];
    const child = spawnAsUser(['events', '-t', 'external.yaml', '--json', '--duration', '20']);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const until = async (what: string, check: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; events said:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; action: string; node: string; container?: string; prefix?: string });
    const seen = (type: string, action: string, node?: string) => lines().some((e) => e.type === type && e.action === action && (e.container === victim.name || e.prefix === `${victim.ip}/32`) && (!node || e.node === node));
    await until('watch on every node', () => lines().filter((e) => e.type === 'watch' && e.action === 'started').length === plan.switches.length + plan.servers.length, 15_000);
    expect(asRoot(victim.server, `docker stop -t 0 ${victim.name}`).code).toBe(0);
    await until('die and withdrawal', () => seen('container', 'die') && plan.switches.every((s) => seen('route', 'withdrawn', s.name)), 12_000);
    expect(asRoot(victim.server, `docker start ${victim.name}`).code).toBe(0);
    await until('start and route', () => seen('container', 'start') && plan.switches.every((s) => seen('route', 'added', s.name)), 12_000);
    child.kill('SIGINT');
    expect([0, 130]).toContain(await done);
  });

  test('graph: mermaid and html, and --serve answers with the live page', async () => {
    const m = asUser(['graph', '-t', 'external.yaml']);
    expect(m.stdout).toMatch(/lf1/);
    expect(m.code).toBe(0);
    const h = asUser(['graph', '-t', 'external.yaml', '--format', 'html']);
    expect(h.stdout).toMatch(/^<!doctype html>/);
    const child = spawnAsUser(['graph', '-t', 'external.yaml', '--serve', '--port', '0']);
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    try {
      const deadline = Date.now() + 20_000;
      while (!/watching \d+ nodes/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const url = /on (http:\/\/\S+)/.exec(err)?.[1];
      expect(url).toBeDefined();
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(plan.name);
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  });

  test('a second operator on another machine (another home, same fabric) is refused while the first one\'s up runs; the fabric lock goes with it', async () => {
    expect(asUser(['down', '-t', 'external.yaml']).code).toBe(0);
    const laptop2 = join(dir, 'laptop2');
    makeHome(laptop2);
    const first = spawnAsUser(['up', '-t', 'external.yaml']);
    const firstDone = new Promise<number | null>((r) => first.on('exit', (code) => r(code)));
    const deadline = Date.now() + 20_000;
    while (asRoot('sp1', 'test -e /run/cldemo/fabric.lock').code !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // the first holds the fabric for as long as the second needs (its up takes 2 s otherwise)
    first.kill('SIGSTOP');
    let second;
    try {
      second = spawnSync(process.execPath, [cli, 'up', '-t', 'external.yaml'], { uid, gid, cwd: join(laptop2, 'fabric'), env: userEnv({ HOME: laptop2 }), encoding: 'utf8', timeout: 120_000 });
    } finally {
      first.kill('SIGCONT');
    }
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`^error: the fabric is locked on .* by another run: ${USER}@\\S+ pid ${first.pid} \\(cldemo up -t external\\.yaml, topology ${plan.name}\\) since 20`, 'm'));
    expect(await firstDone).toBe(0);
    for (const n of status.nodes) expect([n.name, asRoot(n.name, 'ls -A /run/cldemo').stdout.trim()]).toEqual([n.name, '']);
  });

  test('down removes everything; verify-routes --absent holds', () => {
    const r = json<{ ok: boolean }>(['down', '-t', 'external.yaml']);
    expect(r.code).toBe(0);
    const gone = json<{ switches: { name: string; present: string[] }[] }>(['verify-routes', '-t', 'external.yaml', '--absent', '--wait', '15']);
    expect(gone.doc.switches.map((s) => [s.name, s.present])).toEqual(plan.switches.map((s) => [s.name, []]));
    expect(gone.code).toBe(0);
  });

  test('in its home, cldemo wrote only its lock directory: 0700, the user\'s, empty once the runs ended', () => {
    const after = tree(home);
    expect(after.filter((l) => !before.includes(l))).toEqual([`.cache 700 ${uid}`, `.cache/cldemo 700 ${uid}`]);
  });

  test('with HOME where the user cannot write, one line naming the directory and why, exit 1', () => {
    const r = asUser(['up', '-t', topology], { HOME: '/' });
    expect(r.stderr).toBe('error: cannot create the lock directory /.cache/cldemo: permission denied (HOME is /; set XDG_RUNTIME_DIR or HOME to a directory of your own)\n');
    expect(r.code).toBe(1);
  });

  test('with a runtime directory of its own, the lock goes there', () => {
    const run = join(dir, 'run');
    mkdirSync(run, { mode: 0o700 });
    chownSync(run, uid, gid);
    expect(asUser(['down', '-t', 'external.yaml'], { XDG_RUNTIME_DIR: run }).code).toBe(0);
    expect(tree(run)).toEqual([`. 700 ${uid}`, `cldemo 700 ${uid}`]);
  });
});

describe('what cldemo created for itself is its owner\'s alone', () => {
  test('on a leaf: the agent\'s directory and files, its log and pid file, the fabric lock directory', () => {
    expect(json(['up', '-t', topology]).code).toBe(0);
    const r = asRoot('lf1', 'stat -c "%a %U %n" /usr/local/lib/cldemo /usr/local/lib/cldemo/rdnbrd-*/ /usr/local/lib/cldemo/rdnbrd-*/main.js /var/log/rdnbrd.log /run/rdnbrd.pid /run/cldemo');
    const lines = r.stdout.trim().split('\n').map((l) => l.replace(/rdnbrd-[0-9a-f]+/, 'rdnbrd-HASH'));
    expect(lines).toEqual([
      '700 root /usr/local/lib/cldemo',
      '700 root /usr/local/lib/cldemo/rdnbrd-HASH/',
      '600 root /usr/local/lib/cldemo/rdnbrd-HASH/main.js',
      '600 root /var/log/rdnbrd.log',
      '600 root /run/rdnbrd.pid',
      '700 root /run/cldemo',
    ]);
    expect(json(['down', '-t', topology]).code).toBe(0);
  });

  test('the lab\'s key pair and known_hosts, in its 0700 state', () => {
    const known = labKnownHostsFile(labPlan.name);
    const key = status.ssh.identity_file;
    expect([known, key, `${key}.pub`, join(known, '..')].map((f) => (statSync(f).mode & 0o777).toString(8))).toEqual(['600', '600', '600', '700']);
  });
});
