/**
 * status says which way a node could not be read: no SSH connection, a status command that
 * hung, vtysh failing (a daemon down), an answer that cannot be parsed, dockerd not answering;
 * in the table, in --json (`failure`, and `error` in full) and in the problems. The switch's
 * command is run by a real sh here, with a vtysh that fails the way FRR's does.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlanSync } from '../../src/providers.js';
import { fabricStatus, parseSwitchStatus, StatusFailure, switchStatusCommand } from '../../src/fabric/observe/status.js';
import { statusSchema } from '../../src/fabric/observe/formats.js';
import { silentProgress, type FabricContext } from '../../src/fabric/context.js';
import { statusText } from '../../src/commands/status.js';
import { NodeError } from '../../src/errors.js';
import type { ExecResult, NodeConnection } from '../../src/transport/node-connection.js';
import type { DockerEngine } from '../../src/transport/docker-engine.js';
import type { NodePlan } from '../../src/topology/types.js';

const plan = loadPlanSync('test/views/fixtures/views.yaml'); // spine1, leaf1, leaf2; host1, host2
const leaf1 = plan.switches.find((s) => s.name === 'leaf1')!;

/** switchStatusCommand run by sh, with a fake vtysh (and ip, and no agent) on the PATH */
function runStatusCommand(vtysh: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-status-sh-'));
  try {
    writeFileSync(join(dir, 'vtysh'), `#!/bin/sh\n${vtysh}\n`);
    writeFileSync(join(dir, 'ip'), '#!/bin/sh\necho "[]"\n');
    chmodSync(join(dir, 'vtysh'), 0o755);
    chmodSync(join(dir, 'ip'), 0o755);
    return execFileSync('sh', ['-c', switchStatusCommand(plan, leaf1)], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin` } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe("a switch's answer", () => {
  test('FRR down (vtysh exits 1): vtysh failed, naming its commands and what it said, not "no BGP sessions"', () => {
    const out = runStatusCommand('echo "Exiting: failed to connect to any daemons." >&2; exit 1');
    const e = thrown(() => parseSwitchStatus(out, leaf1));
    expect(e).toBeInstanceOf(StatusFailure);
    expect((e as StatusFailure).kind).toBe('vtysh');
    expect((e as Error).message).toBe('leaf1: vtysh failed: show ip bgp summary json, show ip route json: Exiting: failed to connect to any daemons.');
  });

  test('bgpd down, zebra up: vtysh failed for the BGP summary only', () => {
    const out = runStatusCommand('case "$2" in *bgp*) echo "bgpd is not running" >&2; exit 1;; *) echo "{}";; esac');
    expect((thrown(() => parseSwitchStatus(out, leaf1)) as Error).message).toBe('leaf1: vtysh failed: show ip bgp summary json: bgpd is not running');
  });

  test('BGP not configured yet (FRR says so with %) is no sessions, not a failure', () => {
    const out = runStatusCommand('case "$2" in *bgp*) echo "% BGP instance not found";; *) echo "{}";; esac');
    expect(parseSwitchStatus(out, leaf1).bgp).toEqual([]);
  });

  test('an answer that is not JSON: could not parse, naming the command and how the answer began', () => {
    const out = runStatusCommand('case "$2" in *bgp*) echo "{\\"ipv4Unicast\\": {\\"peers\\": tru";; *) echo "{}";; esac');
    const e = thrown(() => parseSwitchStatus(out, leaf1)) as StatusFailure;
    expect(e.kind).toBe('parse');
    expect(e.message).toMatch(/^leaf1: could not parse show ip bgp summary json: .+ \(the answer began '\{"ipv4Unicast": \{"peers": tru'\)$/);
    const routes = thrown(() => parseSwitchStatus(runStatusCommand('case "$2" in *route*) echo "[garbage";; *) echo "{}";; esac'), leaf1)) as StatusFailure;
    expect(routes.kind).toBe('parse');
    expect(routes.message).toMatch(/^leaf1: could not parse its routes \(show ip route json\): /);
  });
});

/** A fabric where each node fails its own way. */
function ctx(): FabricContext {
  const healthy = (node: string): NodeConnection => ({
    node,
    exec: async (): Promise<ExecResult> => ({ code: 0, stdout: runStatusCommand('echo "{}"'), stderr: '' }),
    putFile: async () => undefined,
    getFile: async () => null,
    docker: () => ({ listContainers: async () => [] }) as unknown as DockerEngine,
    close: async () => undefined,
  });
  const ways: Record<string, () => Promise<NodeConnection>> = {
    spine1: async () => {
      throw new NodeError('spine1', 'cannot open SSH to root@192.168.213.10:22: connect ECONNREFUSED 192.168.213.10:22');
    },
    leaf1: async () => ({ ...healthy('leaf1'), exec: async () => Promise.reject(new NodeError('leaf1', 'timed out after 10000 ms: vtysh ...')) }),
    leaf2: async () => ({ ...healthy('leaf2'), exec: async () => ({ code: 1, stdout: runStatusCommand('echo "bgpd is not running" >&2; exit 1'), stderr: '' }) }),
    host1: async () => healthy('host1'),
    host2: async () => ({
      ...healthy('host2'),
      docker: () => ({ listContainers: () => Promise.reject(new NodeError('host2', 'cannot reach Docker at /var/run/docker.sock over SSH (is dockerd running?): open failed')) }) as unknown as DockerEngine,
    }),
  };
  return { plan, parallel: 8, progress: silentProgress, connect: (n: NodePlan) => ways[n.name]() };
}

test('status names each kind of failure in --json, in the problems (with the reason) and in the table', async () => {
  const r = await fabricStatus(ctx());
  expect(() => statusSchema.parse(r)).not.toThrow();
  const by = (n: string) => [...r.switches, ...r.servers].find((s) => s.name === n)!;
  expect(by('spine1')).toMatchObject({ reachable: false, failure: 'ssh', error: 'unreachable (ssh: cannot open SSH to root@192.168.213.10:22: connect ECONNREFUSED 192.168.213.10:22)' });
  expect(by('leaf1')).toMatchObject({ reachable: false, failure: 'timeout', error: 'no answer: the status command took longer than 10 s (vtysh or the switch hung)' });
  expect(by('leaf2')).toMatchObject({ reachable: false, failure: 'vtysh', error: 'vtysh failed: show ip bgp summary json, show ip route json: bgpd is not running' });
  expect(by('host1')).toMatchObject({ reachable: true });
  expect(by('host2')).toMatchObject({ reachable: false, failure: 'docker', error: 'dockerd did not answer: cannot reach Docker at /var/run/docker.sock over SSH (is dockerd running?): open failed' });
  expect(r.problems).toContain('leaf2: vtysh failed: show ip bgp summary json, show ip route json: bgpd is not running');

  const text = statusText(r, false).replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
  const line = (n: string) => text.split('\n').find((l) => l.startsWith(`${n} `))!;
  expect(line('spine1')).toMatch(/^spine1\s+spine\s+unreachable \(ssh\)$/);
  expect(line('leaf1')).toMatch(/^leaf1\s+leaf\s+no answer \(timed out\)$/);
  expect(line('leaf2')).toMatch(/^leaf2\s+leaf\s+vtysh failed$/);
  expect(line('host2')).toMatch(/^host2\s+dockerd not answering$/);
  for (const l of text.split('\n')) expect(l.length).toBeLessThanOrEqual(100);
});
