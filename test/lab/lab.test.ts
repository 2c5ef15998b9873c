/**
 * The lab for real (root, as in CI): the default topology and a second, differently shaped
 * one, up at the same time, reached over SSH like real boxes, then removed without a trace.
 * @needs-root builds labs (network namespaces, mounts, FRR, dockerd); run under the lab lock
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsName } from '../../src/lab/names.js';
import { loadPlan, loadPlanSync } from '../../src/providers.js';
import { LABS, ownCopy } from '../../bench/lib/labs.js';
import { guardLab } from '../helpers/lab.js';
import type { Plan } from '../../src/topology/types.js';
import { cldemo, cldemoAsync, labFootprint, present, procOf, processesInLab, ssh, type LabFootprint, type Proc } from './helpers.js';

// a private state directory: a lab the user runs on this machine is never touched
process.env.CLDEMO_STATE_DIR = mkdtempSync(join(tmpdir(), 'cldemo-lab-test-'));
// the default topology under a name and management subnet of its own: the user's demo lab
// (the default topology itself, which the README leaves running) is never met
const work = mkdtempSync(join(tmpdir(), 'cldemo-lab-test-topologies-'));
const TOPOLOGIES = [ownCopy(LABS.labdefault, work), 'test/fixtures/topologies/lab-small.yaml'];
const NAMES = TOPOLOGIES.map((file) => loadPlanSync(file).name);
const UP_TIMEOUT = 240_000;

// removed after the suite and on SIGINT/SIGTERM, by name
for (const name of NAMES) guardLab(name);

const plans: Plan[] = [];
const before = new Map<string, LabFootprint>();
const labPids = new Map<string, Proc[]>();

const nodesOf = (p: Plan) => [...p.switches, ...p.servers];
const statusOf = (file: string) => JSON.parse(cldemo(['lab', 'status', '-t', file, '--json']).stdout);

beforeAll(async () => {
  for (const file of TOPOLOGIES) {
    const plan = await loadPlan(file);
    plans.push(plan);
    before.set(plan.name, labFootprint(plan));
  }
});

afterAll(() => {
  // a failed test must not leave a lab behind for the next run
  for (const file of TOPOLOGIES) cldemo(['lab', 'down', '-t', file]);
  rmSync(process.env.CLDEMO_STATE_DIR!, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe.each(TOPOLOGIES.map((file, i) => ({ file, i, name: NAMES[i] })))('lab up: $name', ({ file, i }) => {
  test(
    'exits 0 with every node running; the other lab stays up',
    () => {
      const r = cldemo(['lab', 'up', '-t', file]);
      expect(r.stderr + r.stdout).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      const status = statusOf(file);
      expect(status.up).toBe(true);
      expect(status.nodes.map((n: { name: string; state: string }) => [n.name, n.state])).toEqual(
        nodesOf(plans[i]).map((n) => [n.name, 'running']),
      );
      for (const earlier of TOPOLOGIES.slice(0, i)) expect(statusOf(earlier).up).toBe(true);
      labPids.set(plans[i].name, processesInLab(plans[i]));
    },
    UP_TIMEOUT,
  );
});

describe.each(TOPOLOGIES.map((file, i) => ({ file, i, name: NAMES[i] })))('lab nodes: $name', ({ file, i }) => {
  const plan = () => plans[i];

  test('status --json follows the contract', () => {
    const s = statusOf(file);
    expect(s).toMatchObject({
      name: plan().name,
      up: true,
      ssh: { user: 'root', identity_file: plan().switches[0].mgmt.identityFile, known_hosts: plan().switches[0].mgmt.knownHosts },
    });
    for (const [k, n] of nodesOf(plan()).entries()) {
      expect(s.nodes[k]).toMatchObject({ name: n.name, role: n.role, mgmt_ip: n.mgmt.host, state: 'running' });
      expect(Object.keys(s.nodes[k].daemons).sort()).toEqual(
        n.role === 'server' ? ['containerd', 'dockerd', 'sshd'] : ['bgpd', 'sshd', 'staticd', 'watchfrr', 'zebra'],
      );
    }
  });

  test('every node answers SSH with strict host key checking, hostname = node name', () => {
    for (const n of nodesOf(plan())) {
      const r = ssh(plan(), n.name, 'hostname; cat /etc/hostname');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${n.name}\n${n.name}\n`);
    }
  });

  test('vtysh talks to FRR on every switch; ifupdown2 is ready', () => {
    for (const s of plan().switches) {
      const r = ssh(plan(), s.name, "vtysh -c 'show version' && ifquery -a >/dev/null && test -d /run/network && grep -x bgpd=yes /etc/frr/daemons");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`FRRouting \\S+ \\(${s.name}\\)`));
    }
  });

  test('docker works on every server over SSH, with the image loaded', () => {
    for (const s of plan().servers) {
      const info = ssh(plan(), s.name, `docker info --format '{{.Name}} {{.Images}}' && docker image inspect --format '{{json .Config.Cmd}}' ${plan().image}`);
      expect(info.code).toBe(0);
      expect(info.stdout).toMatch(new RegExp(`^${s.name} 1\\n.*apache2`));
      // the Docker API forwarded over the SSH connection, as cldemo's Docker transport uses it
      const ping = ssh(plan(), s.name, 'docker system dial-stdio', 'GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n');
      expect(ping.stdout).toMatch(/^HTTP\/1\.0 200 OK[\s\S]*\r\n\r\nOK$/);
    }
  });

  test('every link has both ends, named as in the topology, up, with its mtu', () => {
    for (const n of nodesOf(plan())) {
      const r = cldemo(['lab', 'exec', n.name, '-t', file, '--', 'ip', '-j', 'link', 'show']);
      expect(r.code).toBe(0);
      const devs = new Map((JSON.parse(r.stdout) as Array<{ ifname: string; mtu: number; flags: string[] }>).map((d) => [d.ifname, d]));
      const ends = plan().links.flatMap((l) => [l.a, l.b].filter((e) => e.node === n.name).map((e) => ({ port: e.port, mtu: l.mtu })));
      expect(ends.length).toBeGreaterThan(0);
      for (const { port, mtu } of ends) {
        const dev = devs.get(port);
        expect({ port, mtu: dev?.mtu, up: dev?.flags.includes('UP') }).toEqual({ port, mtu, up: true });
      }
      // a fresh box: its links and management port, nothing else
      expect([...devs.keys()].sort()).toEqual(['eth0', 'lo', ...ends.map((e) => e.port)].sort());
    }
  });

  test('two switches on one link ping each other over IPv6 link-local', () => {
    const link = plan().links.find((l) => l.kind === 'fabric')!;
    const addr = cldemo(['lab', 'exec', link.b.node, '-t', file, '--', 'ip', '-j', '-6', 'addr', 'show', 'dev', link.b.port, 'scope', 'link']);
    const ll = JSON.parse(addr.stdout)[0].addr_info[0].local as string;
    expect(ll).toMatch(/^fe80:/);
    const ping = cldemo(['lab', 'exec', link.a.node, '-t', file, '--', 'ping', '-c', '1', '-W', '3', `${ll}%${link.a.port}`]);
    expect(ping.stdout).toMatch(/1 received/);
    expect(ping.code).toBe(0);
  });

  test('lab exec passes the exit code on', () => {
    const n = plan().switches[0].name;
    expect(cldemo(['lab', 'exec', n, '-t', file, '--', 'sh', '-c', 'exit 7']).code).toBe(7);
    expect(cldemo(['lab', 'exec', 'no-such-node', '-t', file, '--', 'true']).code).toBe(2);
  });

  test('lab up again is safe: already up, nothing rebuilt', () => {
    const pids = processesInLab(plan()).map((p) => p.pid).sort();
    const r = cldemo(['lab', 'up', '-t', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/already up/);
    expect(processesInLab(plan()).map((p) => p.pid).sort()).toEqual(pids);
  });
});

/**
 * A process in a node whose parent, outside the lab, reaps it a while after it dies, as a
 * shell or a capture that entered the node would: killed, it stays in the process table
 * (a zombie, what `ps` lists as defunct) until then. Daemons are reaped by PID 1, which on
 * some machines (this one) also takes a second or so.
 */
async function lateReaped(netns: string, lateMs: number): Promise<Proc> {
  // python, not a shell: a shell reaps any child whenever it waits for one of its commands
  const script = [
    'import subprocess, sys, time',
    `child = subprocess.Popen(['nsenter', '--net=/run/netns/${netns}', 'sleep', '600'])`,
    'print(child.pid, flush=True)',
    'state = lambda: open(f"/proc/{child.pid}/stat").read().rsplit(") ", 1)[1][0]',
    'deadline = time.time() + 300',
    "while state() != 'Z' and time.time() < deadline: time.sleep(0.05)",
    `time.sleep(${lateMs / 1000})`,
    'child.kill(); child.wait()',
  ].join('\n');
  const parent = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(parent.stdout, 'data')) as [Buffer];
  const proc = procOf(Number(line.toString().trim()));
  expect(proc).toBeDefined();
  return proc!;
}

describe.each(TOPOLOGIES.map((file, i) => ({ file, i, name: NAMES[i] })))('lab down: $name', ({ file, i }) => {
  test(
    'leaves the host as before, every process of the lab gone when it returns; twice is fine',
    async () => {
      const plan = plans[i];
      expect(labFootprint(plan).netns.length).toBe(nodesOf(plan).length);
      expect(labPids.get(plan.name)!.length).toBeGreaterThan(0);
      const late = await lateReaped(netnsName(plan.name, plan.switches[0].name), 2000);
      // async: this process's event loop must keep running meanwhile (it reaps the helper shell)
      const down = await cldemoAsync(['lab', 'down', '-t', file]);
      expect(down.stderr).toBe('');
      expect(down.code).toBe(0);
      expect(labFootprint(plan)).toEqual(before.get(plan.name));
      // gone, not merely killed: a process its parent has not reaped yet is still listed by ps
      expect([...labPids.get(plan.name)!, late].filter(present)).toEqual([]);
      expect(statusOf(file)).toMatchObject({ up: false });
      expect(cldemo(['lab', 'down', '-t', file]).code).toBe(0);
    },
    60_000,
  );
});
