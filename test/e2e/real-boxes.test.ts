/**
 * Real boxes, as issue 15 describes them: the lab's nodes driven as provider external by
 * an unprivileged user (`cldemo`, every node has it) with `ssh.sudo: true`. The whole story
 * (up, ping-sweep, verify-routes with HTTP, a stopped container withdrawn, down, --absent)
 * runs three times: straight to every node; through one lab node as the jump host; and
 * with host aliases from ~/.ssh/config and the key only in an ssh-agent. Before those, a
 * node whose sudo wants a password fails alone, untouched, with the sudoers line to add.
 * @needs-root builds a lab (network namespaces, FRR, sshd, dockerd); run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jest } from '@jest/globals';
import { labUp } from '../../src/lab/up.js';
import { labDown } from '../../src/lab/down.js';
import { labStatus, type LabStatus } from '../../src/lab/inspect.js';
import { loadPlanSync } from '../../src/providers.js';
import type { Plan } from '../../src/topology/types.js';
import { connectNode } from '../../src/transport/ssh-connect.js';

jest.setTimeout(600_000);

const SMALL = resolve('test/e2e/fixtures/small.yaml');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Doc {
  ok: boolean;
  changed: boolean;
  nodes: { name: string; ok: boolean; changes: string[]; error?: string }[];
  containers: { name: string; answered: boolean }[];
  switches: { name: string; present: string[]; missing: string[]; unexpected: string[] }[];
  dataplane: { name: string; ok: boolean; status?: number; from?: string }[];
}

function cldemo(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, ['bin/cldemo.js', ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env }, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function json(args: string[], env: NodeJS.ProcessEnv = {}): Run & { doc: Doc } {
  const r = cldemo([...args, '--json'], env);
  try {
    return { ...r, doc: JSON.parse(r.stdout) as Doc };
  } catch {
    throw new Error(`cldemo ${args.join(' ')} --json printed no JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** As root on a lab node, the way the test itself looks (never the code under test). */
function asRoot(plan: Plan, node: string, command: string): Run {
  const n = [...plan.switches, ...plan.servers].find((x) => x.name === node)!;
  const r = spawnSync('ssh', ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${n.mgmt.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-i', n.mgmt.identityFile!, `root@${n.mgmt.host}`, command], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The lab topology as provider external; `mgmt(node, ip)` and the `ssh:` line say how each node is reached. */
function externalTopology(labPlan: Plan, status: LabStatus, file: string, sshLine: string, mgmt: (node: string, ip: string) => string = (_n, ip) => `{ host: ${ip} }`): string {
  let text = readFileSync(labPlan.file, 'utf8').replace(/^provider: lab/m, 'provider: external');
  for (const n of status.nodes) {
    text = text.replace(new RegExp(`^(  ${n.name}:\\s*\\{)`, 'm'), `$1 mgmt: ${mgmt(n.name, n.mgmt_ip)},`).replace(new RegExp(`^(  ${n.name}:)\\s*$`, 'm'), `$1\n    mgmt: ${mgmt(n.name, n.mgmt_ip)}`);
  }
  writeFileSync(file, `${text}\nssh: ${sshLine}\n`);
  return file;
}

/** The sequence on one topology file; `env` is the environment cldemo runs in. */
function story(label: string, file: () => string, plan: () => Plan, labPlan: () => Plan, env: () => NodeJS.ProcessEnv = () => ({})) {
  test(`${label}: up succeeds on every node`, () => {
    const r = json(['up', '-t', file()], env());
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.doc.nodes.filter((n) => !n.ok)).toEqual([]);
    expect(r.code).toBe(0);
  });

  test(`${label}: ping-sweep hears every container`, () => {
    const r = json(['ping-sweep', '-t', file()], env());
    expect(r.doc.containers.map((c) => [c.name, c.answered])).toEqual(plan().containers.map((c) => [c.name, true]));
    expect(r.code).toBe(0);
  });

  test(`${label}: verify-routes: every /32 on every switch, HTTP 200 from another rack`, () => {
    const r = json(['verify-routes', '-t', file(), '--wait', '15'], env());
    expect(r.doc.switches.map((s) => [s.name, s.missing, s.unexpected])).toEqual(plan().switches.map((s) => [s.name, [], []]));
    expect(r.doc.dataplane.map((d) => [d.name, d.status])).toEqual(plan().containers.map((c) => [c.name, 200]));
    expect(r.code).toBe(0);
  });

  test(`${label}: a second up changes nothing`, () => {
    const r = json(['up', '-t', file()], env());
    expect(r.doc.nodes.filter((n) => n.changes.length > 0)).toEqual([]);
    expect(r.code).toBe(0);
  });

  test(`${label}: a stopped container's /32 is withdrawn from every switch`, () => {
    const victim = plan().containers[0];
    const deadline = Date.now() + (plan().redistributeNeighbor.holdtime + 3) * 1000;
    expect(asRoot(labPlan(), victim.server, `docker stop -t 0 ${victim.name}`).code).toBe(0);
    let r = json(['verify-routes', '-t', file(), '--no-dataplane'], env());
    while (r.doc.switches.some((s) => s.missing.length === 0) && Date.now() < deadline) r = json(['verify-routes', '-t', file(), '--no-dataplane'], env());
    expect(r.doc.switches.map((s) => [s.name, s.missing])).toEqual(plan().switches.map((s) => [s.name, [`${victim.ip}/32`]]));
    expect(r.code).toBe(1);
  });

  test(`${label}: down removes the containers and networks; verify-routes --absent holds`, () => {
    const r = json(['down', '-t', file()], env());
    expect(r.code).toBe(0);
    const gone = json(['verify-routes', '-t', file(), '--absent', '--wait', '15'], env());
    expect(gone.doc.switches.map((s) => [s.name, s.present])).toEqual(plan().switches.map((s) => [s.name, []]));
    expect(gone.code).toBe(0);
    for (const s of plan().servers) expect(asRoot(labPlan(), s.name, `docker ps -aq --filter label=cldemo.topology=${plan().name}`).stdout.trim()).toBe('');
  });
}

/** Every `Accepted publickey for USER from IP` in a node's sshd log, as "USER IP". */
function logins(labPlan: Plan, node: string): string[] {
  const log = asRoot(labPlan, node, 'cat /var/log/sshd.log').stdout;
  return [...log.matchAll(/Accepted publickey for (\S+) from (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
}

describe('real boxes: a sudo user, a jump host, ~/.ssh/config and an ssh-agent (lab nodes as provider external)', () => {
  const labPlan = loadPlanSync(SMALL);
  let dir: string;
  let status: LabStatus;
  let agentPid: number | undefined;
  const files: Record<'sudo' | 'jump' | 'agent', string> = { sudo: '', jump: '', agent: '' };
  const plans: Partial<Record<keyof typeof files, Plan>> = {};
  let agentEnv: NodeJS.ProcessEnv = {};
  let bastion: { name: string; ip: string };

  beforeAll(async () => {
    await labDown(labPlan).catch(() => undefined);
    await labUp(labPlan, { install: false, log: () => undefined });
    status = await labStatus(labPlan);
    dir = mkdtempSync(join(tmpdir(), 'cldemo-real-boxes-'));
    const { sudo_user: user, identity_file: key, known_hosts: known } = status.ssh;
    const core1 = status.nodes.find((n) => n.name === 'core1')!;
    bastion = { name: core1.name, ip: core1.mgmt_ip };
    files.sudo = externalTopology(labPlan, status, join(dir, 'sudo.yaml'), `{ user: ${user}, sudo: true, identity_file: ${key}, known_hosts: ${known} }`);
    files.jump = externalTopology(labPlan, status, join(dir, 'jump.yaml'), `{ user: ${user}, sudo: true, identity_file: ${key}, known_hosts: ${known}, jump: ${user}@${bastion.ip} }`);
    // host aliases resolved by ~/.ssh/config (HostName, User); no key named anywhere: the agent has it
    const home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'config'), status.nodes.map((n) => `Host ${n.name}-mgmt\n  HostName ${n.mgmt_ip}\n  User ${user}\n`).join('\n'));
    files.agent = externalTopology(labPlan, status, join(dir, 'agent.yaml'), `{ sudo: true, known_hosts: ${known} }`, (name) => `{ host: ${name}-mgmt }`);
    const sock = join(dir, 'agent.sock');
    const started = spawnSync('ssh-agent', ['-a', sock, '-s'], { encoding: 'utf8' });
    agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(started.stdout)?.[1]) || undefined;
    expect(agentPid).toBeDefined();
    agentEnv = { SSH_AUTH_SOCK: sock, HOME: home };
    expect(spawnSync('ssh-add', ['-q', key], { env: { ...process.env, ...agentEnv }, encoding: 'utf8' }).status).toBe(0);
    for (const k of Object.keys(files) as Array<keyof typeof files>) plans[k] = loadPlanSync(files[k]);
  });

  afterAll(async () => {
    if (agentPid) process.kill(agentPid, 'SIGTERM');
    await labDown(labPlan);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the topologies reach the lab nodes as the unprivileged user with sudo', () => {
    for (const p of [plans.sudo!, plans.jump!]) {
      expect(p.provider).toBe('external');
      for (const n of [...p.switches, ...p.servers]) expect(n.mgmt).toMatchObject({ user: status.ssh.sudo_user, sudo: true });
    }
    expect(plans.jump!.switches[0].mgmt.jump).toEqual({ user: status.ssh.sudo_user, host: bastion.ip });
    expect(plans.agent!.switches[0].mgmt).toMatchObject({ host: 'core1-mgmt', sudo: true, defaulted: ['user', 'port'] });
    expect(plans.agent!.switches[0].mgmt.identityFile).toBeUndefined();
  });

  // a spine: no other node's work depends on it (a server's does on its leaf)
  test('a node whose sudo asks for a password fails alone, untouched, naming the sudoers line; the others finish', () => {
    const before = asRoot(labPlan, 'core2', 'cat /etc/frr/frr.conf /etc/network/interfaces | md5sum').stdout;
    expect(asRoot(labPlan, 'core2', `echo '${status.ssh.sudo_user} ALL=(root) ALL' > /etc/sudoers.d/${status.ssh.sudo_user}`).code).toBe(0);
    try {
      const r = json(['up', '-t', files.sudo]);
      expect(r.code).toBe(1);
      expect(r.doc.nodes.filter((n) => !n.ok).map((n) => n.name)).toEqual(['core2']);
      const line = r.stderr.split('\n').filter((l) => l.startsWith('error: core2: '));
      expect(line).toHaveLength(1);
      expect(line[0]).toMatch(new RegExp(`^error: core2: sudo -n on cldemo@\\S+ asks for a password; .*'cldemo ALL=\\(root\\) NOPASSWD: ALL' to /etc/sudoers.d/cldemo.*nothing was changed`));
      expect(asRoot(labPlan, 'core2', 'cat /etc/frr/frr.conf /etc/network/interfaces | md5sum').stdout).toBe(before);
      expect(asRoot(labPlan, 'core1', 'cat /etc/frr/frr.conf /etc/network/interfaces | md5sum').stdout).not.toBe(before);
      expect(asRoot(labPlan, 'web2', `docker ps -q --filter label=cldemo.topology=${labPlan.name} | wc -l`).stdout.trim()).toBe('2');
    } finally {
      asRoot(labPlan, 'core2', `echo '${status.ssh.sudo_user} ALL=(root) NOPASSWD: ALL' > /etc/sudoers.d/${status.ssh.sudo_user}`);
    }
    expect(json(['down', '-t', files.sudo]).code).toBe(0);
  });

  story('sudo', () => files.sudo, () => plans.sudo!, () => labPlan);

  test('sudo: cldemo logged in as the unprivileged user, never as root', () => {
    for (const n of status.nodes) {
      const seen = new Set(logins(labPlan, n.name).map((l) => l.split(' ')[0]));
      expect([n.name, seen.has(status.ssh.sudo_user)]).toEqual([n.name, true]);
    }
  });

  test('Docker API: stream-local to the socket when the user may open it, else sudo docker system dial-stdio', async () => {
    const node = (name: string) => plans.sudo!.servers.find((s) => s.name === name)!;
    // web2's user joins the docker group (a new login sees it); web1's does not
    expect(asRoot(labPlan, 'web2', `usermod -aG docker ${status.ssh.sudo_user}`).code).toBe(0);
    try {
      for (const [name, route] of [['web1', 'dial-stdio'], ['web2', 'socket']] as const) {
        const conn = (await connectNode(name, node(name).mgmt)) as Awaited<ReturnType<typeof connectNode>> & { dockerVia: string };
        try {
          expect([name, conn.dockerVia]).toEqual([name, route]);
          expect(await conn.docker().version()).toMatch(/^\d+\./);
        } finally {
          await conn.close();
        }
      }
    } finally {
      asRoot(labPlan, 'web2', `gpasswd -d ${status.ssh.sudo_user} docker`);
    }
  });

  describe('through one lab node as the jump host', () => {
    let before: Record<string, number> = {};
    beforeAll(() => {
      before = Object.fromEntries(status.nodes.map((n) => [n.name, logins(labPlan, n.name).length]));
    });

    story('jump', () => files.jump, () => plans.jump!, () => labPlan);

    test('jump: every node saw cldemo come from the bastion, and only from there', () => {
      for (const n of status.nodes) {
        const toBastion = `${status.ssh.sudo_user} ${bastion.ip.replace(/\.\d+$/, '.1')}`; // from this machine: the bastion connections
        const fresh = logins(labPlan, n.name).slice(before[n.name]).filter((l) => !l.startsWith('root ') && !(n.name === bastion.name && l === toBastion));
        // the bastion node itself is reached through the bastion too (from its own address)
        expect([n.name, [...new Set(fresh)]]).toEqual([n.name, [`${status.ssh.sudo_user} ${bastion.ip}`]]);
      }
    });

    test('jump: one cldemo run opens one connection to the bastion, and one through it per node it needs', () => {
      const mark = Object.fromEntries(status.nodes.map((n) => [n.name, logins(labPlan, n.name).length]));
      expect(json(['verify-routes', '-t', files.jump, '--absent']).code).toBe(0); // talks to the switches only
      const fresh = (node: string) => logins(labPlan, node).slice(mark[node]).filter((l) => !l.startsWith('root ')).sort();
      const user = status.ssh.sudo_user;
      const thisMachine = bastion.ip.replace(/\.\d+$/, '.1'); // the lab's bridge
      expect(fresh(bastion.name)).toEqual([`${user} ${bastion.ip}`, `${user} ${thisMachine}`].sort());
      for (const n of plans.jump!.switches.filter((x) => x.name !== bastion.name)) expect([n.name, fresh(n.name)]).toEqual([n.name, [`${user} ${bastion.ip}`]]);
      for (const n of plans.jump!.servers) expect([n.name, fresh(n.name)]).toEqual([n.name, []]);
    });
  });

  describe('host aliases from ~/.ssh/config, the key only in an ssh-agent', () => {
    story('agent', () => files.agent, () => plans.agent!, () => labPlan, () => agentEnv);

    test('agent: without the agent the same topology cannot log in, naming the node', () => {
      const r = json(['ping-sweep', '-t', files.agent], { HOME: agentEnv.HOME, SSH_AUTH_SOCK: '' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/(tor1|tor2): cannot open SSH to cldemo@192\.168\.\d+\.\d+:22: All configured authentication methods failed/);
    });
  });
});
