/**
 * cldemo why against the real lab: one small dual-stack lab, built once, broken one link at a
 * time the way an operator or an accident breaks it, and mended between faults. For each fault,
 * why must name the link, the node and the cause in the fabric's words; a healthy fabric is all
 * well (exit 0), a broken one exits 1, an unknown container exits 2 with one line. Every wait is
 * for a condition (why naming the fault, why green again), never a fixed sleep.
 * @needs-root builds a lab (network namespaces, FRR, dockerd); run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { jest } from '@jest/globals';
import { loadPlanSync } from '../../src/providers.js';
import { whySchema, type WhyReport } from '../../src/fabric/observe/formats.js';
import { guardLab } from '../helpers/lab.js';

jest.setTimeout(1_200_000);

const FILE = resolve('test/e2e/fixtures/why.yaml');
const plan = loadPlanSync(FILE);
guardLab(plan.name);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cldemo(args: string[], timeout = 300_000): Run {
  const r = spawnSync(process.execPath, ['bin/cldemo.js', ...args], { encoding: 'utf8', timeout, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A command inside a lab node, as the operator runs one (cldemo lab exec); it must succeed. */
function onNode(node: string, ...command: string[]): string {
  const r = cldemo(['lab', 'exec', '-t', FILE, node, '--', ...command], 120_000);
  if (r.code !== 0) throw new Error(`${node}: ${command.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function why(target: string): { code: number; report: WhyReport } {
  const r = cldemo(['why', target, '-t', FILE, '--json'], 120_000);
  try {
    return { code: r.code, report: whySchema.parse(JSON.parse(r.stdout)) };
  } catch (e) {
    throw new Error(`why ${target} --json printed no valid document (exit ${r.code}): ${(e as Error).message}\n${r.stdout}\n${r.stderr}`, { cause: e });
  }
}

/** why, asked again every second until `done` holds or `seconds` run out; the last answer either way. */
async function whyUntil(target: string, done: (r: WhyReport) => boolean, seconds: number): Promise<{ code: number; report: WhyReport }> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const got = why(target);
    if (done(got.report) || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const target = plan.servers[0].containers[0];
const server = plan.servers[0];
const leaf = plan.switches.find((s) => s.name === target.leaf)!;
const otherLeaf = plan.switches.find((s) => s.role === 'leaf' && s.name !== leaf.name)!;
const [toSpine] = leaf.fabricPorts; // leaf01:swp51 -> spine01:swp1
const spine = plan.switches.find((s) => s.name === toSpine.peer)!;
const RELOAD = ['/usr/lib/frr/frr-reload.py', '--reload', '/etc/frr/frr.conf'];
const vtysh = (node: string, ...lines: string[]) => onNode(node, 'vtysh', '-c', 'conf t', ...lines.flatMap((l) => ['-c', l]));

interface Fault {
  name: string;
  breakIt(): void;
  mend(): void;
  link: WhyReport['links'][number]['link'];
  node: string;
  says: RegExp;
  remedy?: RegExp;
}

const FAULTS: Fault[] = [
  {
    name: 'container stopped',
    breakIt: () => onNode(server.name, 'docker', 'stop', '-t', '0', target.name),
    mend: () => onNode(server.name, 'docker', 'start', target.name),
    link: 'docker',
    node: server.name,
    says: new RegExp(`exited .* ago \\(exit \\d+\\)`),
    remedy: new RegExp(`^docker start ${target.name} on ${server.name}`),
  },
  {
    name: 'network removed',
    breakIt: () => {
      onNode(server.name, 'docker', 'stop', '-t', '0', ...server.containers.map((c) => c.name));
      onNode(server.name, 'docker', 'network', 'rm', server.network.name);
    },
    mend: () => expect(cldemo(['up', '-t', FILE]).code).toBe(0),
    link: 'docker',
    node: server.name,
    says: new RegExp(`^${server.name} has no Docker network ${server.network.name}`),
    remedy: /^cldemo up/,
  },
  {
    name: "server's uplink down",
    breakIt: () => onNode(server.name, 'ip', 'link', 'set', server.uplink.interface, 'down'),
    mend: () => onNode(server.name, 'ip', 'link', 'set', server.uplink.interface, 'up'),
    link: 'cable',
    node: server.name,
    says: new RegExp(`^${server.name}'s uplink ${server.uplink.interface} is admin down`),
    remedy: new RegExp(`^ip link set ${server.uplink.interface} up on ${server.name}`),
  },
  {
    name: "leaf's port down",
    breakIt: () => onNode(leaf.name, 'ip', 'link', 'set', target.leafPort, 'down'),
    mend: () => onNode(leaf.name, 'ip', 'link', 'set', target.leafPort, 'up'),
    link: 'cable',
    node: leaf.name,
    says: new RegExp(`^${leaf.name}'s port ${target.leafPort} to ${server.name} is admin down`),
  },
  {
    name: 'agent stopped',
    breakIt: () => onNode(leaf.name, 'sh', '-c', 'kill "$(cat /run/rdnbrd.pid)"'),
    mend: () => expect(cldemo(['up', '-t', FILE]).code).toBe(0),
    link: 'agent',
    node: leaf.name,
    says: /redistribute-neighbor agent is not running/,
    remedy: /^cldemo up/,
  },
  {
    name: 'FRR stopped',
    breakIt: () => onNode(leaf.name, '/usr/lib/frr/frrinit.sh', 'stop'),
    mend: () => onNode(leaf.name, '/usr/lib/frr/frrinit.sh', 'start'),
    link: 'frr',
    node: leaf.name,
    says: new RegExp(`^FRR on ${leaf.name} does not answer`),
    remedy: new RegExp(`^/usr/lib/frr/frrinit.sh start on ${leaf.name}`),
  },
  {
    name: 'a BGP session down',
    breakIt: () => vtysh(leaf.name, `router bgp ${leaf.asn}`, `neighbor ${toSpine.port} shutdown`),
    mend: () => onNode(leaf.name, ...RELOAD),
    link: 'fabric',
    node: leaf.name,
    says: new RegExp(`^${spine.name} does not hold ${target.ip}/32: its BGP session on ${toSpine.peerPort} with ${leaf.name} is \\S+.* \\(shut down on ${leaf.name}: neighbor ${toSpine.port} shutdown\\)`),
    remedy: new RegExp(`frr-reload.py --reload /etc/frr/frr.conf on ${leaf.name}`),
  },
  {
    name: 'a route filtered',
    breakIt: () =>
      vtysh(
        spine.name,
        `ip prefix-list WHYDENY seq 5 deny ${target.ip}/32`,
        'ip prefix-list WHYDENY seq 10 permit any',
        `router bgp ${spine.asn}`,
        'address-family ipv4 unicast',
        `neighbor ${toSpine.peerPort} prefix-list WHYDENY in`,
      ),
    mend: () => onNode(spine.name, ...RELOAD),
    link: 'fabric',
    node: spine.name,
    says: new RegExp(`^${spine.name} does not hold ${target.ip}/32: it filters what ${leaf.name} sends on ${toSpine.peerPort} \\(prefix-list WHYDENY in\\)`),
    remedy: new RegExp(`frr-reload.py --reload /etc/frr/frr.conf on ${spine.name}`),
  },
  {
    name: 'a wrong next hop',
    breakIt: () => vtysh(otherLeaf.name, `router bgp ${otherLeaf.asn}`, 'address-family ipv4 unicast', `neighbor ${otherLeaf.fabricPorts[0].port} weight 100`),
    mend: () => onNode(otherLeaf.name, ...RELOAD),
    link: 'fabric',
    node: otherLeaf.name,
    says: new RegExp(`^${otherLeaf.name} reaches ${target.ip}/32 by ${otherLeaf.fabricPorts[0].port}, expected .*: the path over ${otherLeaf.fabricPorts[0].port} wins on Weight`),
  },
];

describe('cldemo why on the lab', () => {
  beforeAll(() => {
    cldemo(['lab', 'down', '-t', FILE]);
    const lab = cldemo(['lab', 'up', '-t', FILE], 900_000);
    if (lab.code !== 0) throw new Error(`lab up failed: ${lab.stderr}`);
    const up = cldemo(['up', '-t', FILE], 900_000);
    if (up.code !== 0) throw new Error(`up failed: ${up.stderr}`);
  });

  afterAll(() => {
    cldemo(['down', '-t', FILE]);
    cldemo(['lab', 'down', '-t', FILE]);
  });

  test('a healthy fabric: every link holds in both families, exit 0', async () => {
    const { code, report } = await whyUntil(target.ip, (r) => r.ok, 120);
    expect(report.broken).toBeUndefined();
    expect(report.links.map((l) => `${l.link}${l.family ?? ''}`)).toEqual([
      'topology', 'docker', 'cable', 'neighbor4', 'agent4', 'frr4', 'fabric4', 'neighbor6', 'agent6', 'frr6', 'fabric6', 'http4', 'http6',
    ]);
    expect(code).toBe(0);
    const text = cldemo(['why', target.name, '-t', FILE]);
    expect(text.stdout).toMatch(/all is well/);
    expect(text.code).toBe(0);
  });

  test('an unknown container or address: one line, exit 2, no node asked', () => {
    for (const bad of ['10.111.0.99', 'server09-10.111.0.11']) {
      const r = cldemo(['why', bad, '-t', FILE]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  });

  describe.each(FAULTS.map((f) => [f.name, f] as const))('%s', (_name, fault) => {
    test('why names the broken link, where it is and what to do; exit 1; mended, all is well again', async () => {
      fault.breakIt();
      let named: { code: number; report: WhyReport };
      try {
        named = await whyUntil(target.ip, (r) => r.broken?.link === fault.link && fault.says.test(r.broken.says), 90);
      } finally {
        fault.mend();
      }
      expect(named.report.broken).toMatchObject({ link: fault.link, node: fault.node, says: expect.stringMatching(fault.says) });
      if (fault.remedy) expect(named.report.broken!.remedy).toMatch(fault.remedy);
      expect(named.report.links.slice(0, -1).every((l) => l.ok)).toBe(true);
      expect(named.code).toBe(1);
      const healed = await whyUntil(target.ip, (r) => r.ok, 180);
      expect(healed.report.broken).toBeUndefined();
      expect(healed.code).toBe(0);
    });
  });

  test("the text fits 100 columns, the broken link last with what to do", async () => {
    onNode(server.name, 'docker', 'stop', '-t', '0', target.name);
    try {
      await whyUntil(target.ip, (r) => r.broken?.link === 'docker', 60);
      const r = cldemo(['why', target.ip, '-t', FILE]);
      expect(r.code).toBe(1);
      const lines = r.stdout.trimEnd().split('\n');
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
      expect(r.stdout).toMatch(/BROKEN docker/);
      expect(r.stdout).toMatch(/do: docker start/);
    } finally {
      onNode(server.name, 'docker', 'start', target.name);
    }
    expect((await whyUntil(target.ip, (r) => r.ok, 120)).code).toBe(0);
  });
});
