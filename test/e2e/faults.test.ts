/**
 * The tool's promises when parts fail, on the real lab (a small fabric: 2 spines, 2 leaves,
 * 2 servers): one run at a time, Ctrl-C mid-`up`, an SSH session killed mid-`up`, `up` keeping
 * healthy containers, and two topologies at the same servers. Needs root and the lab.
 * @needs-root builds labs (network namespaces, FRR, dockerd); run under the lab lock
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jest } from '@jest/globals';
import { labDown } from '../../src/lab/down.js';
import { labExec } from '../../src/lab/exec.js';
import { labStatus } from '../../src/lab/inspect.js';
import { labUp } from '../../src/lab/up.js';
import { netnsName, nodePaths } from '../../src/lab/names.js';
import { loadPlanSync } from '../../src/providers.js';
import { renderAll } from '../../src/render/index.js';
import { up } from '../../src/fabric/change/up.js';
import { wordChanges } from '../../src/summary.js';
import { sshContext } from '../../src/providers.js';
import { lockPath } from '../../src/lock.js';
import type { NodeConnection } from '../../src/transport/node-connection.js';
import type { Plan } from '../../src/topology/types.js';
import { cldemo, ssh } from '../lab/helpers.js';

jest.setTimeout(600_000);

const SMALL = resolve('test/e2e/fixtures/small.yaml');
const root = process.getuid?.() === 0;
const describeLab = root ? describe : describe.skip;
if (!root) console.log('test/e2e/faults.test.ts skipped: needs root to build the lab (namespaces, FRR, dockerd)');

interface NodeDoc {
  name: string;
  changes: string[];
}
interface RunDoc {
  ok: boolean;
  nodes: NodeDoc[];
}

function json(args: string[]): { code: number; stdout: string; stderr: string; doc: RunDoc } {
  const r = cldemo([...args, '--json']);
  try {
    return { ...r, doc: JSON.parse(r.stdout) };
  } catch {
    throw new Error(`cldemo ${args.join(' ')} --json printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** Starts the CLI in the background; resolves when it exits. */
function background(args: string[]) {
  const child = spawn(process.execPath, ['bin/cldemo.js', ...args], { env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((res) => child.on('exit', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done, stderr: () => stderr };
}

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every switch's and server's installed files equal what the topology renders. */
function filesMatch(plan: Plan): string[] {
  const wrong: string[] = [];
  for (const [node, files] of renderAll(plan)) {
    for (const { path, text } of files.values()) if (ssh(plan, node, `cat ${path}`).stdout !== text) wrong.push(`${node}:${path}`);
  }
  return wrong;
}

/** The sshd session processes (not the listener) in a node's network namespace: our connection's. */
function sshSessions(plan: Plan, node: string, withListener = false): number[] {
  const pids = spawnSync('ip', ['netns', 'pids', netnsName(plan.name, node)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  return pids.filter((pid) => {
    try {
      // the listener names itself "sshd: /usr/sbin/sshd ... [listener] ..." since OpenSSH 9
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmd.startsWith('sshd: ') && (withListener || !cmd.includes('[listener]'));
    } catch {
      return false;
    }
  });
}

function containerIds(plan: Plan, server: string, topology = plan.name): Map<string, string> {
  const out = ssh(plan, server, `docker ps -a --filter label=cldemo.topology=${topology} --format '{{.Names}} {{.ID}} {{.State}}'`).stdout;
  return new Map(out.split('\n').filter(Boolean).map((l) => [l.split(' ')[0], l.split(' ').slice(1).join(' ')]));
}

describeLab('faults on the lab', () => {
  const plan = loadPlanSync(SMALL);
  beforeAll(async () => {
    await labDown(plan).catch(() => undefined);
    await labUp(plan, { install: false, log: () => undefined });
  });
  afterAll(async () => {
    await labDown(plan);
  });

  test('a second up while one runs is refused at once, naming the holder; the first finishes', async () => {
    const first = background(['up', '-t', SMALL]);
    await until('the first up to take the lock', () => existsSync(lockPath(plan.name, 'fabric')));
    const second = cldemo(['up', '-t', SMALL]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`lock.*pid ${first.child.pid} \\(cldemo up -t ${SMALL.replace(/[.]/g, '\\.')}\\) since 20\\d\\d-`));
    // read-only commands never need the lock
    expect(cldemo(['verify-routes', '-t', SMALL, '--no-dataplane']).stderr).not.toMatch(/lock/);
    const r = await first.done;
    expect(r.code).toBe(0);
    expect(existsSync(lockPath(plan.name, 'fabric'))).toBe(false);
  });

  test('SIGINT mid-up: exit 130 saying what was and was not done; up again -> every file rendered, verify-routes green', async () => {
    expect(cldemo(['down', '-t', SMALL, '--purge-config']).code).toBe(0);
    const run = background(['up', '-t', SMALL, '--parallel', '1']);
    // leaves go first (a server's address check needs its leaf); interrupt once the second leaf is being worked on
    await until('up to reach a switch', () => /tor2: /.test(run.stderr()));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: starting nothing new/);
    expect(r.stderr).toMatch(/interrupted by SIGINT: up stopped: done: [^;]*tor2[^;]*; not started: .*core1/);
    expect(r.stdout).toMatch(/not started \(interrupted\)/);
    expect(existsSync(lockPath(plan.name, 'fabric'))).toBe(false);
    // no candidate left half-way on any switch
    for (const sw of plan.switches) expect(ssh(plan, sw.name, 'ls /etc/frr/*.cldemo-new /etc/network/*.cldemo-new 2>/dev/null').stdout).toBe('');

    const again = json(['up', '-t', SMALL]);
    expect(again.code).toBe(0);
    expect(filesMatch(plan)).toEqual([]);
    expect(json(['ping-sweep', '-t', SMALL]).code).toBe(0);
    const v = json(['verify-routes', '-t', SMALL, '--wait', '20']);
    expect(v.doc.ok).toBe(true);
    expect(v.code).toBe(0);
  });

  test('a second SIGINT exits at once', async () => {
    expect(cldemo(['down', '-t', SMALL, '--purge-config']).code).toBe(0);
    const run = background(['up', '-t', SMALL, '--parallel', '1']);
    await until('up to start', () => /web1: /.test(run.stderr()));
    run.child.kill('SIGINT');
    await until('the first SIGINT to be taken', () => /SIGINT: starting nothing new/.test(run.stderr()));
    const at = Date.now();
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(Date.now() - at).toBeLessThan(2000);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT again: exiting now/);
    expect(existsSync(lockPath(plan.name, 'fabric'))).toBe(false);
    // the next run completes the job
    expect(json(['up', '-t', SMALL]).code).toBe(0);
    expect(filesMatch(plan)).toEqual([]);
  });

  test("an SSH session killed mid-up is retried once and the node finishes; others don't notice", async () => {
    expect(cldemo(['down', '-t', SMALL, '--purge-config']).code).toBe(0);
    const ctx = sshContext(plan, { parallel: 4 });
    const killed: number[] = [];
    const victim = 'tor1';
    const connect = ctx.connect;
    ctx.connect = async (node) => {
      const conn = await connect(node);
      if (node.name !== victim || killed.length > 0) return conn;
      // the first upload on the victim's first connection: its sshd session dies under it
      const wrapped: NodeConnection = Object.create(conn);
      wrapped.putFile = async (content, path, mode) => {
        if (killed.length === 0) {
          for (const pid of sshSessions(plan, victim)) {
            process.kill(pid, 'SIGKILL');
            killed.push(pid);
          }
        }
        return conn.putFile(content, path, mode);
      };
      return wrapped;
    };
    try {
      const report = await up(ctx);
      expect(killed.length).toBeGreaterThan(0);
      expect(report.nodes.filter((n) => !n.ok).map((n) => [n.name, n.error])).toEqual([]);
      expect(wordChanges(report.nodes.find((n) => n.name === victim)!.records).join('; ')).toMatch(/frr\.conf/);
    } finally {
      await ctx.close();
    }
    expect(filesMatch(plan)).toEqual([]);
    expect(json(['ping-sweep', '-t', SMALL]).code).toBe(0);
    expect(json(['verify-routes', '-t', SMALL, '--wait', '20']).code).toBe(0);
  });

  test('an SSH connection that cannot be restored fails its node alone, naming it; the rerun completes', async () => {
    expect(cldemo(['down', '-t', SMALL, '--purge-config']).code).toBe(0);
    const ctx = sshContext(plan, { parallel: 4 });
    const victim = 'tor2';
    let killed = 0;
    const connect = ctx.connect;
    ctx.connect = async (node) => {
      const conn = await connect(node);
      if (node.name !== victim) return conn;
      const wrapped: NodeConnection = Object.create(conn);
      wrapped.putFile = async (content, path, mode) => {
        if (killed === 0) {
          // sshd itself goes, listener and sessions: nothing to reconnect to
          for (const pid of sshSessions(plan, victim, true)) {
            process.kill(pid, 'SIGKILL');
            killed += 1;
          }
        }
        return conn.putFile(content, path, mode);
      };
      return wrapped;
    };
    try {
      const report = await up(ctx);
      expect(killed).toBeGreaterThan(1);
      // the victim fails, named. A server behind it whose address check on the leaf met the dead
      // sshd fails too, saying so, with nothing created (when its check ran first, it finishes);
      // every other node finishes.
      const behind = plan.servers.filter((s) => s.uplink.leaf === victim).map((s) => s.name);
      const failed = report.nodes.filter((n) => !n.ok).map((n) => [n.name, n.error ?? '']);
      expect(failed.find(([n]) => n === victim)).toEqual([victim, expect.stringMatching(/^SSH connection lost and not restored \(retried once after 1 s\): cannot open SSH to .*192\.168\.212\.\d+:22/)]);
      for (const [name, error] of failed.filter(([n]) => n !== victim)) {
        expect(behind).toContain(name);
        expect(error).toMatch(new RegExp(`^cannot check from ${victim} that the container addresses are free, so nothing was created`));
      }
    } finally {
      await ctx.close();
    }
    // the node's sshd back (what a reboot would do), and the rerun finishes the job
    const dir = nodePaths(plan.name, victim).dir;
    expect(await labExec(plan, victim, ['/usr/sbin/sshd', '-f', `${dir}/sshd_config`, '-E', '/var/log/sshd.log'], 'ignore')).toBe(0);
    const again = json(['up', '-t', SMALL]);
    expect(again.code).toBe(0);
    expect(filesMatch(plan)).toEqual([]);
    expect(json(['ping-sweep', '-t', SMALL]).code).toBe(0);
    expect(json(['verify-routes', '-t', SMALL, '--wait', '20']).code).toBe(0);
  });

  test('up after a partial failure keeps the healthy containers (same IDs)', () => {
    const before = containerIds(plan, 'web1');
    expect(before.size).toBe(2);
    const [gone, stopped] = [...before.keys()];
    expect(ssh(plan, 'web1', `docker rm -f ${gone} && docker stop -t 0 ${stopped}`).code).toBe(0);
    const r = json(['up', '-t', SMALL]);
    expect(r.code).toBe(0);
    expect(r.doc.nodes.find((n) => n.name === 'web1')!.changes).toEqual(expect.arrayContaining([`created container ${gone}`, `started container ${stopped}`]));
    const after = containerIds(plan, 'web1');
    expect(after.get(stopped)).toBe(before.get(stopped)!.replace(/ \w+$/, ' running'));
    expect(after.get(gone)).not.toBe(before.get(gone));
    for (const [name, id] of containerIds(plan, 'web2')) expect([name, id]).toEqual([name, expect.stringMatching(/ running$/)]);
  });

  describe('two topologies at the same servers', () => {
    let dir: string;
    let other: string;
    let otherPlan: Plan;
    beforeAll(async () => {
      // the second topology: the same nodes driven as provider external under another name
      const status = await labStatus(plan);
      let text = readFileSync(SMALL, 'utf8').replace(/^name: orchsmall$/m, 'name: orchsmall-b').replace(/^provider: lab/m, 'provider: external');
      for (const n of status.nodes) text = text.replace(new RegExp(`^(  ${n.name}:\\s*\\{)`, 'm'), `$1 mgmt: { host: ${n.mgmt_ip} },`).replace(new RegExp(`^(  ${n.name}:)\\s*$`, 'm'), `$1\n    mgmt: { host: ${n.mgmt_ip} }`);
      text += `\nssh: { user: ${status.ssh.user}, identity_file: ${status.ssh.identity_file}, known_hosts: ${status.ssh.known_hosts} }\n`;
      dir = mkdtempSync(join(tmpdir(), 'cldemo-faults-'));
      other = join(dir, 'other.yaml');
      writeFileSync(other, text);
      otherPlan = loadPlanSync(other);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("the second's up refuses the first's macvlan network (one per parent) and touches none of its containers", () => {
      const before = containerIds(plan, 'web1');
      const r = json(['up', '-t', other]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/web1: a Docker network named web1_eth1 exists but is not this topology's \(label cldemo\.topology=orchsmall\)/);
      expect(containerIds(plan, 'web1')).toEqual(before);
    });

    test("down of one leaves the other's containers and networks; then the other's down removes its own", () => {
      // the second topology's containers (on a network of its own: macvlan allows one network per parent)
      for (const s of otherPlan.servers) {
        const label = `--label cldemo.topology=${otherPlan.name}`;
        expect(ssh(plan, s.name, `docker network create ${label} ${s.name}-b && docker run -d --name ${s.name}-b1 ${label} --network ${s.name}-b ${plan.image} && docker run -d --name ${s.name}-unlabelled ${plan.image}`).code).toBe(0);
      }
      const mine = new Map(plan.servers.map((s) => [s.name, containerIds(plan, s.name)]));
      const theirs = new Map(plan.servers.map((s) => [s.name, containerIds(plan, s.name, otherPlan.name)]));

      const downOther = json(['down', '-t', other]);
      expect(downOther.code).toBe(0);
      for (const s of plan.servers) {
        expect(containerIds(plan, s.name)).toEqual(mine.get(s.name));
        expect(containerIds(plan, s.name, otherPlan.name).size).toBe(0);
        expect(downOther.doc.nodes.find((n) => n.name === s.name)!.changes.sort()).toEqual([`removed container ${s.name}-b1`, `removed network ${s.name}-b`]);
        expect(ssh(plan, s.name, `docker network ls --format '{{.Name}}'`).stdout).toMatch(new RegExp(`^${s.name}_eth1$`, 'm'));
      }
      expect([...theirs.values()].every((m) => m.size === 1)).toBe(true);

      // and the other way round: the first topology's down keeps a container that is not its own
      for (const s of otherPlan.servers) expect(ssh(plan, s.name, `docker network create --label cldemo.topology=${otherPlan.name} ${s.name}-b && docker run -d --name ${s.name}-b2 --label cldemo.topology=${otherPlan.name} --network ${s.name}-b ${plan.image}`).code).toBe(0);
      const theirsAgain = new Map(plan.servers.map((s) => [s.name, containerIds(plan, s.name, otherPlan.name)]));
      expect(json(['down', '-t', SMALL]).code).toBe(0);
      for (const s of plan.servers) {
        expect(containerIds(plan, s.name).size).toBe(0);
        expect(containerIds(plan, s.name, otherPlan.name)).toEqual(theirsAgain.get(s.name));
        expect(ssh(plan, s.name, `docker ps -a --format '{{.Names}}'`).stdout.split('\n').filter(Boolean).sort()).toEqual([`${s.name}-b2`, `${s.name}-unlabelled`]);
      }
    });
  });
});
