/**
 * Breaking the lab on purpose, as a user would, through the CLI: impairments (declared in
 * the topology and put on by `lab up`, added and cleared by `lab impair`, read back with
 * --list), a cable pulled and plugged back (`lab link`), nodes powered down, hung and brought
 * back (`lab node`). Every effect is checked the test's own way: pings and an HTTP transfer
 * across the link, the nodes' interfaces, routes and processes read from inside them.
 * @needs-root builds a lab (network namespaces, FRR, sshd, dockerd); run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { jest } from '@jest/globals';
import { labDown } from '../../src/lab/down.js';
import { labUp } from '../../src/lab/up.js';
import { netnsName, nodePaths, nsenterArgs } from '../../src/lab/names.js';
import { loadPlanSync } from '../../src/providers.js';
import { guardLab } from '../helpers/lab.js';
import { cldemo } from '../lab/helpers.js';

jest.setTimeout(300_000);

const FIXTURE = resolve('test/e2e/fixtures/breakit.yaml');
const plan = loadPlanSync(FIXTURE);
guardLab(plan.name);

/** Whether this kernel has netem, asked the test's own way: a qdisc on a throwaway namespace's loopback. */
const netem = spawnSync('unshare', ['--net', '--', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']).status === 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A shell line inside a node, as root, the test's own way (no sshd needed: a node may be down or hung). */
function inNode(node: string, command: string, timeoutMs = 60_000): Run {
  const r = spawnSync('nsenter', [...nsenterArgs(nodePaths(plan.name, node)), '--', '/bin/sh', '-c', command], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function cli(args: string[]): Run {
  return cldemo([...args, '-t', FIXTURE]);
}

function json<T>(args: string[]): Run & { doc: T } {
  const r = cli([...args, '--json']);
  try {
    return { ...r, doc: JSON.parse(r.stdout) as T };
  } catch {
    throw new Error(`cldemo ${args.join(' ')} --json printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** The share of `count` pings from `from` to `to` that got no answer. */
function loss(from: string, to: string, count = 1000): number {
  const r = inNode(from, `ping -q -n -c ${count} -i 0.005 -W 1 ${to}`, 120_000);
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  if (!m) throw new Error(`ping from ${from} to ${to}: ${r.stdout}${r.stderr}`);
  return 1 - Number(m[2]) / Number(m[1]);
}

/** An HTTP download of /big from `ip`, run on `from`: bits per second. */
function download(from: string, ip: string): number {
  const r = inNode(from, `curl -s -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' http://${ip}/big`, 120_000);
  const [code, size, speed] = r.stdout.trim().split(' ').map(Number);
  expect([code, size]).toEqual([200, BIG]);
  return speed * 8;
}

/** `ip -o link show PORT` inside a node: its flags. */
function flags(node: string, port: string): string[] {
  const r = inNode(node, `ip -o link show dev ${port}`);
  return /<([^>]*)>/.exec(r.stdout)?.[1].split(',') ?? [];
}

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function nodePids(node: string): number[] {
  return spawnSync('ip', ['netns', 'pids', netnsName(plan.name, node)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
}

function procState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return 'gone';
  }
}

const BIG = 4_000_000;
const GREEN = ['verify-routes', '--wait', '40'];

interface ListDoc {
  impairments: Array<{ link: string; impair: Record<string, number>; ends: string[]; partial: boolean }>;
}

beforeAll(async () => {
  await labDown(plan).catch(() => undefined);
  await labUp(plan, { install: false, log: () => undefined });
  const up = cli(['up']);
  if (up.code !== 0) throw new Error(`up: ${up.stdout}${up.stderr}`);
  expect(cli(GREEN).code).toBe(0);
  // a file worth timing, in the container behind bl1 (its image has no shell: docker cp)
  expect(inNode('bh1', `head -c ${BIG} /dev/zero > /tmp/breakit-big && docker cp /tmp/breakit-big bh1-10.81.0.10:/var/www/html/big; s=$?; rm -f /tmp/breakit-big; exit $s`).code).toBe(0);
});

describe('impairments', () => {
  test('lab up puts on what the topology declares; --list reads it from the nodes, and tells a half-removed one', () => {
    const list = json<ListDoc>(['lab', 'impair', '--list']);
    expect(list.doc.impairments).toEqual([{ link: 'bh2:eth1 -- bl2:swp3', a: { node: 'bh2', port: 'eth1' }, b: { node: 'bl2', port: 'swp3' }, kind: 'server', impair: { rate: 200_000_000 }, ends: ['bh2:eth1', 'bl2:swp3'], partial: false }]);
    for (const [node, port] of [['bh2', 'eth1'], ['bl2', 'swp3']]) expect(inNode(node, `tc qdisc show dev ${port}`).stdout).toMatch(/^qdisc tbf c1de: root .*rate 200Mbit/m);
    // someone takes one end off by hand: the list says so; lab up (already up) puts it back
    expect(inNode('bl2', 'tc qdisc del dev swp3 root').code).toBe(0);
    expect(json<ListDoc>(['lab', 'impair', '--list']).doc.impairments.map((i) => [i.ends, i.partial])).toEqual([[['bh2:eth1'], true]]);
    expect(cli(['lab', 'up']).code).toBe(0);
    expect(json<ListDoc>(['lab', 'impair', '--list']).doc.impairments.map((i) => [i.link, i.partial])).toEqual([['bh2:eth1 -- bl2:swp3', false]]);
  });

  test('--loss 20 on a fabric link: 1,000 pings across it lose 36 +- 5 % (20 % each way); --clear restores the baseline', () => {
    expect(loss('bs1', '10.81.0.10', 300)).toBeLessThan(0.005);
    const r = cli(['lab', 'impair', 'bl1:swp1', '--loss', '20']);
    expect([r.code, r.stdout]).toEqual([0, 'bs1:swp1 -- bl1:swp1: loss 20%\n']);
    // bs1 sends (its POSTROUTING), bl1 forwards the reply out of the same link (its own)
    const lossy = loss('bs1', '10.81.0.10');
    expect(lossy).toBeGreaterThanOrEqual(0.31);
    expect(lossy).toBeLessThanOrEqual(0.41);
    const cleared = cli(['lab', 'impair', 'bs1:swp1', '--clear']);
    expect([cleared.code, cleared.stdout]).toEqual([0, 'bs1:swp1 -- bl1:swp1: cleared (was loss 20%)\n']);
    expect(loss('bs1', '10.81.0.10', 300)).toBeLessThan(0.005);
  });

  test('--rate 10mbit caps a bulk HTTP transfer across the link at 10 Mbit/s +- 15 %; --clear lifts it', () => {
    expect(cli(['lab', 'impair', 'bs1:swp1', '--rate', '10mbit']).code).toBe(0);
    const capped = download('bs1', '10.81.0.10');
    expect(capped).toBeGreaterThanOrEqual(8.5e6);
    expect(capped).toBeLessThanOrEqual(11.5e6);
    // the other spine's link is not impaired
    expect(download('bs2', '10.81.0.10')).toBeGreaterThan(1e8);
    expect(cli(['lab', 'impair', 'bs1:swp1', '--clear']).code).toBe(0);
    expect(download('bs1', '10.81.0.10')).toBeGreaterThan(1e8);
    expect(json<ListDoc>(['lab', 'impair', '--list']).doc.impairments.map((i) => i.link)).toEqual(['bh2:eth1 -- bl2:swp3']);
  });

  (netem ? test.skip : test)('--delay on a kernel without sch_netem: exit 2, one line naming the module; nothing is put on', () => {
    const r = cli(['lab', 'impair', 'bl1:swp1', '--loss', '5', '--delay', '50']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: bs1:swp1 -- bl1:swp1: delay needs the sch_netem kernel module, which this kernel \(\S+\) does not have \(tc: .*\); loss and rate work without it\n$/);
    expect(json<ListDoc>(['lab', 'impair', '--list']).doc.impairments.map((i) => i.link)).toEqual(['bh2:eth1 -- bl2:swp3']);
  });

  (netem ? test : test.skip)(`where the kernel has sch_netem: --delay 50 adds 100 ms to a round trip across the link${netem ? '' : ' (this kernel has no sch_netem)'}`, () => {
    const rtt = () => Number(/= [\d.]+\/([\d.]+)\//.exec(inNode('bs1', 'ping -q -n -c 5 -i 0.2 10.81.0.10').stdout)?.[1]);
    expect(cli(['lab', 'impair', 'bl1:swp1', '--delay', '50', '--jitter', '1']).code).toBe(0);
    expect(rtt()).toBeGreaterThanOrEqual(95);
    expect(cli(['lab', 'impair', 'bl1:swp1', '--clear']).code).toBe(0);
    expect(rtt()).toBeLessThan(20);
  });
});

describe('a cable pulled and plugged back', () => {
  test('down: both ends report it, the BGP session across it drops and its routes are withdrawn; up: back to green', async () => {
    const r = json<{ changed: boolean; ends: Array<{ node: string; admin: string }> }>(['lab', 'link', 'bl1:swp1', 'down']);
    expect(r.code).toBe(0);
    expect(r.doc.changed).toBe(true);
    expect(r.doc.ends.map((e) => [e.node, e.admin])).toEqual([['bl1', 'down'], ['bs1', 'down']]);
    for (const [node, port] of [['bs1', 'swp1'], ['bl1', 'swp1']]) expect(flags(node, port)).not.toContain('LOWER_UP');
    // bs1 learned bl1's hosts across that cable alone; bl2 now reaches them by bs2 only
    await until('bs1 to withdraw 10.81.0.10/32', () => inNode('bs1', "vtysh -c 'show ip route 10.81.0.10/32 json'").stdout.trim() === '{}', 30_000);
    // bs1's withdrawal reaches bl2 as a BGP update a moment after bs1's own table lost the route
    const viaBl2 = (): string[] =>
      (JSON.parse(inNode('bl2', "vtysh -c 'show ip route 10.81.0.10/32 json'").stdout)['10.81.0.10/32']?.[0]?.nexthops ?? [])
        .map((n: { interfaceName: string }) => n.interfaceName);
    await until('bl2 to reach 10.81.0.10/32 by swp2 alone', () => viaBl2().join(' ') === 'swp2', 30_000);
    expect(viaBl2()).toEqual(['swp2']);
    expect(cli(['lab', 'link', 'bs1:swp1', 'down']).stdout).toMatch(/^bs1:swp1 -- bl1:swp1: already down/);
    expect(cli(['lab', 'link', 'bs1:swp1', 'up']).code).toBe(0);
    for (const [node, port] of [['bs1', 'swp1'], ['bl1', 'swp1']]) expect(flags(node, port)).toEqual(expect.arrayContaining(['UP', 'LOWER_UP']));
    expect(cli(GREEN).code).toBe(0);
  });

  test('a port that is not an end of a link, or a state that is not down or up: exit 2, one line', () => {
    const a = cli(['lab', 'link', 'bl1:swp9', 'down']);
    expect([a.code, a.stderr]).toEqual([2, `error: bl1 has no link on port 'swp9' in ${FIXTURE} (its links: swp1, swp2, swp3)\n`]);
    const b = cli(['lab', 'link', 'bl1:swp1', 'off']);
    expect([b.code, b.stderr]).toEqual([2, 'error: lab link: state "off": give down, up\n']);
  });
});

describe('a node powered down, hung, and brought back', () => {
  test('a leaf powered down: every peer loses carrier, none of its processes is left; up: its daemons and its agent again, green', async () => {
    const r = json<{ state: string; changed: boolean; processes: number }>(['lab', 'node', 'bl1', 'down']);
    expect(r.code).toBe(0);
    expect(r.doc).toMatchObject({ state: 'down', changed: true });
    expect(r.doc.processes).toBeGreaterThan(3);
    expect(nodePids('bl1')).toEqual([]);
    for (const [node, port] of [['bs1', 'swp1'], ['bs2', 'swp1'], ['bh1', 'eth1']]) expect([node, flags(node, port)]).toEqual([node, expect.arrayContaining(['NO-CARRIER', 'UP'])]);
    // what a dead box cannot do
    expect(cli(['lab', 'link', 'bs1:swp1', 'up']).stderr).toMatch(/^error: bl1 is powered down: `cldemo lab node bl1 up` first/);
    expect(cli(['lab', 'node', 'bl1', 'hang']).code).toBe(1);
    expect(cli(['lab', 'node', 'bl1', 'down']).stdout).toBe('bl1: already down\n');

    expect(cli(['lab', 'node', 'bl1', 'up']).code).toBe(0);
    const status = json<{ nodes: Array<{ name: string; state: string }> }>(['lab', 'status']);
    expect(status.doc.nodes.find((n) => n.name === 'bl1')?.state).toBe('running');
    await until('bl1\'s agent', () => /running/.test(inNode('bl1', 'kill -0 $(cat /run/rdnbrd.pid) 2>/dev/null && echo running').stdout), 30_000);
    expect(cli(GREEN).code).toBe(0);
  });

  test('a server powered down and up: its containers come back by their restart policy, HTTP to them answers', () => {
    const before = inNode('bh1', "docker ps -q --filter label=cldemo.topology=breakit | sort").stdout;
    expect(before.trim().split('\n')).toHaveLength(2);
    expect(cli(['lab', 'node', 'bh1', 'down']).code).toBe(0);
    expect(nodePids('bh1')).toEqual([]);
    expect(cli(['lab', 'node', 'bh1', 'up']).code).toBe(0);
    expect(cli(GREEN).code).toBe(0);
    expect(inNode('bh1', "docker ps -q --filter label=cldemo.topology=breakit | sort").stdout).toBe(before);
  });

  test('a spine hung: its links keep carrier, it answers nothing, its processes are stopped; up: it answers again', async () => {
    const r = json<{ state: string; changed: boolean; processes: number }>(['lab', 'node', 'bs2', 'hang']);
    expect(r.code).toBe(0);
    expect(r.doc).toMatchObject({ state: 'hung', changed: true });
    for (const [node, port] of [['bl1', 'swp2'], ['bl2', 'swp2']]) expect(flags(node, port)).toEqual(expect.arrayContaining(['UP', 'LOWER_UP']));
    expect(inNode('bl1', 'ping -q -n -c 3 -i 0.2 -W 1 10.6.0.2').code).not.toBe(0);
    const pids = nodePids('bs2');
    expect(pids.length).toBeGreaterThan(3);
    expect(pids.map(procState).filter((s) => s !== 'T')).toEqual([]);
    expect(cli(['lab', 'node', 'bs2', 'hang']).stdout).toBe('bs2: already hung\n');

    const up = json<{ state: string; processes: number }>(['lab', 'node', 'bs2', 'up']);
    expect(up.doc.state).toBe('up');
    expect(nodePids('bs2').map(procState).filter((s) => s === 'T')).toEqual([]);
    await until('bs2 to answer', () => inNode('bl1', 'ping -q -n -c 1 -W 1 10.6.0.2').code === 0, 30_000);
    expect(cli(['lab', 'node', 'bs2', 'up']).stdout).toBe('bs2: already up\n');
    expect(cli(GREEN).code).toBe(0);
  });
});
