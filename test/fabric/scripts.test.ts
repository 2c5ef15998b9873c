/**
 * The remote shell scripts, run by a real /bin/sh on this machine (files in a temp dir,
 * pings to the loopback only), so quoting and shell syntax mistakes fail here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DockerEngine } from '../../src/transport/docker-engine.js';
import type { ExecResult, NodeConnection } from '../../src/transport/node-connection.js';
import { installFiles, changedFiles, restoreOriginals } from '../../src/fabric/change/config-files.js';
import { switchPlatform, switchPlatformNames, type RenderedFile } from '../../src/platforms/index.js';
import { arpProbe, ipv4, parseArpProbe, parsePings, pingEach } from '../../src/platforms/linux.js';
import { httpProbeCommand, parseHttpProbe } from '../../src/fabric/observe/dataplane.js';
import { sweepTargets } from '../../src/fabric/change/ping-sweep.js';
import { loadPlanSync } from '../../src/providers.js';

/** A node that is this machine: commands through sh, files straight to disk. */
class LocalNode implements NodeConnection {
  readonly node = 'local';
  async exec(command: string): Promise<ExecResult> {
    const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
  async putFile(content: string | Buffer, path: string): Promise<void> {
    writeFileSync(path, content);
  }
  async getFile(path: string): Promise<string | null> {
    return existsSync(path) ? readFileSync(path, 'utf8') : null;
  }
  docker(): DockerEngine {
    throw new Error('no docker here');
  }
  async close(): Promise<void> {}
}

const shellOk = (script: string) => execFileSync('/bin/sh', ['-n', '-c', script]);

describe('install and restore on a real shell', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cldemo-fabric-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('keeps the replaced file and the pre-cldemo one; restore puts the original back', async () => {
    const node = new LocalNode();
    const a = join(dir, 'a.conf');
    const b = join(dir, 'b.conf');
    writeFileSync(a, 'original a\n');
    // rdnbrd: a kind with no check command, so any text installs
    const file = (path: string, text: string): RenderedFile => ({ kind: 'rdnbrd', path, text });
    const want = [file(a, 'cldemo a v1\n'), file(b, 'cldemo b v1\n')];
    const pathsOf = (files: { path: string }[]) => files.map((f) => f.path);
    expect(pathsOf(await changedFiles(node, want))).toEqual([a, b]);
    await installFiles(node, switchPlatform('frr'), want);
    expect(readFileSync(a, 'utf8')).toBe('cldemo a v1\n');
    expect(readFileSync(`${a}.cldemo-prev`, 'utf8')).toBe('original a\n');
    expect(existsSync(`${b}.cldemo-none`)).toBe(true);
    expect(await changedFiles(node, want)).toEqual([]);

    await installFiles(node, switchPlatform('frr'), [file(a, 'cldemo a v2\n')]);
    expect(readFileSync(`${a}.cldemo-prev`, 'utf8')).toBe('cldemo a v1\n');
    expect(readFileSync(`${a}.cldemo-orig`, 'utf8')).toBe('original a\n');

    expect(pathsOf(await restoreOriginals(node, want)).sort()).toEqual([a, b].sort());
    expect(readFileSync(a, 'utf8')).toBe('original a\n');
    expect(existsSync(b)).toBe(false);
    expect(await restoreOriginals(node, want)).toEqual([]);
  });
});

describe('remote commands', () => {
  const plan = loadPlanSync('topology.yaml');

  test('every platform script is valid sh', () => {
    for (const p of switchPlatformNames().map(switchPlatform)) {
      shellOk(p.agent.ensure('/usr/local/lib/cldemo/rdnbrd-x', true));
      shellOk(p.agent.ensure('/usr/local/lib/cldemo/rdnbrd-x', false));
      shellOk(p.agent.stop());
      shellOk(p.agent.status());
    }
    shellOk(arpProbe('swp1', ['172.16.1.11', '172.16.1.12']));
    shellOk(httpProbeCommand('10.0.0.11', ['172.16.1.11']));
  });

  test('only dotted quads reach a remote command', () => {
    expect(() => ipv4('172.16.1.1; reboot')).toThrow(/not an IPv4 address/);
    expect(() => pingEach([{ ip: '$(id)' }])).toThrow();
    expect(pingEach([{ ip: '172.16.1.11', port: 'sw p1' }])).toContain("-I 'sw p1' 172.16.1.11");
  });

  test('the ping script reports each address with its replies (loopback only)', () => {
    const out = execFileSync('/bin/sh', ['-c', pingEach([{ ip: '127.0.0.1' }, { ip: '127.0.0.2', port: 'lo' }])], { encoding: 'utf8' });
    expect([...parsePings(out)].sort()).toEqual(['127.0.0.1', '127.0.0.2']);
    expect([...parsePings('172.16.1.11 0\n172.16.1.12 2\n')]).toEqual(['172.16.1.12']);
  });

  test('sweep targets: the leaf\'s own containers, or every host of the subnet but the gateway', () => {
    const leaf02 = plan.switches.find((s) => s.name === 'leaf02')!;
    expect(sweepTargets(plan, leaf02, false)).toEqual(['172.16.1.21', '172.16.1.22', '172.16.1.23'].map((ip) => ({ ip, port: 'swp2' })));
    const all = sweepTargets(plan, leaf02, true);
    expect(all).toHaveLength(253);
    expect(all.map((t) => t.ip)).not.toContain('172.16.1.1');
    expect(new Set(all.map((t) => t.port))).toEqual(new Set(['swp2']));
  });

  test('two servers on one leaf: each container is pinged through its own server port', () => {
    const two = loadPlanSync('test/fixtures/topologies/two-servers-per-leaf.yaml');
    const leaf = two.switches.find((s) => s.role === 'leaf' && s.serverPorts.length === 2)!;
    const targets = sweepTargets(two, leaf, false);
    const ports = new Map(two.containers.filter((c) => c.leaf === leaf.name).map((c) => [c.ip, c.leafPort]));
    expect(targets).toEqual([...ports].map(([ip, port]) => ({ ip, port })));
    expect(new Set(targets.map((t) => t.port)).size).toBe(2);
    expect(pingEach(targets)).toContain(`-I ${targets[targets.length - 1].port} ${targets[targets.length - 1].ip}`);
  });

  test('the address check tells "no reply" from "could not ask" (a stand-in arping in a real sh)', () => {
    const bin = mkdtempSync(join(tmpdir(), 'cldemo-arping-'));
    try {
      // .11 answers; .12 is silent; .13: a port arping cannot use (exit 1, as Habets' does);
      // .14: an arping that exits 2 with two lines of complaint
      writeFileSync(join(bin, 'arping'), `#!/bin/sh
echo "$*" >> ${bin}/argv
for last; do :; done
case "$last" in
  *.11) echo 'Unicast reply from 172.16.1.11'; exit 0 ;;
  *.12) exit 1 ;;
  *.13) echo 'arping: libnet_init(LIBNET_LINK, swp1): libnet_check_iface() ioctl: No such device' >&2; exit 1 ;;
  *) printf 'arping: Unable to get the IPv4 address of interface swp1:\narping: Use -S to specify address manually.\n' >&2; exit 2 ;;
esac
`, { mode: 0o755 });
      const ips = ['172.16.1.11', '172.16.1.12', '172.16.1.13', '172.16.1.14'];
      const run = (path: string) => execFileSync('/bin/sh', ['-c', arpProbe('swp1', ips)], { encoding: 'utf8', env: { ...process.env, PATH: path } });
      const r = parseArpProbe(run(`${bin}:${process.env.PATH}`), ips);
      expect(r.taken).toEqual(['172.16.1.11']);
      expect(r.free).toEqual(['172.16.1.12']);
      expect(r.failed).toEqual([
        { ip: '172.16.1.13', why: expect.stringMatching(/^exit 1: arping: libnet_init.*No such device$/) },
        { ip: '172.16.1.14', why: 'exit 2: arping: Unable to get the IPv4 address of interface swp1: arping: Use -S to specify address manually.' },
      ]);
      // the interface flag both arpings read as the interface
      expect(readFileSync(join(bin, 'argv'), 'utf8').trim().split('\n').sort()).toEqual(ips.map((ip) => `-q -c 1 -w 1 -I swp1 ${ip}`));
      // no arping at all: nothing is "free"
      const none = parseArpProbe(run('/nonexistent'), ips);
      expect(none.free).toEqual([]);
      expect(none.failed.map((f) => f.why)).toEqual(ips.map(() => 'arping is not installed (Debian package arping)'));
      // an address the script said nothing about was not asked
      expect(parseArpProbe('free 172.16.1.11\n', ['172.16.1.11', '172.16.1.12']).failed).toEqual([{ ip: '172.16.1.12', why: 'the check printed nothing for it' }]);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('dual stack: sweep targets add each container\'s IPv6 address on its port, pinged with ping -6 (the loopback ::1 answers)', () => {
    const dual = loadPlanSync('examples/dual-stack.yaml');
    const leaf02 = dual.switches.find((s) => s.name === 'leaf02')!;
    expect(sweepTargets(dual, leaf02, false).map((t) => t.ip)).toEqual(['172.16.1.21', '2001:db8:1::21', '172.16.1.22', '2001:db8:1::22', '172.16.1.23', '2001:db8:1::23']);
    // --subnet sweeps the IPv4 subnet; an IPv6 prefix is too large, its containers are pinged still
    expect(sweepTargets(dual, leaf02, true).filter((t) => t.ip.includes(':')).map((t) => t.ip)).toEqual(['2001:db8:1::21', '2001:db8:1::22', '2001:db8:1::23']);
    expect(pingEach([{ ip: '2001:db8:1::21', port: 'swp2' }])).toContain('ping -6 -n -q -c 2 -i 0.3 -W 1 -I swp2 2001:db8:1::21 ');
    const out = execFileSync('/bin/sh', ['-c', pingEach([{ ip: '::1' }, { ip: '127.0.0.1' }])], { encoding: 'utf8' });
    expect([...parsePings(out)].sort()).toEqual(['127.0.0.1', '::1']);
    expect(() => pingEach([{ ip: '2001:DB8::1' }])).toThrow(/RFC 5952/);
  });

  test('dual stack: the address check asks an IPv6 address by one neighbor solicitation (a stand-in ndisc6 in a real sh)', () => {
    const bin = mkdtempSync(join(tmpdir(), 'cldemo-ndisc6-'));
    try {
      // ndisc6: exit 0 answered, 2 no answer, 1 an error on stderr
      writeFileSync(join(bin, 'ndisc6'), `#!/bin/sh
case "$7" in
  *::11) echo 'AE:D3:E8:BC:AA:F0'; exit 0 ;;
  *::12) exit 2 ;;
  *) echo 'swp1: No such device' >&2; exit 1 ;;
esac
`, { mode: 0o755 });
      writeFileSync(join(bin, 'arping'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
      const ips = ['172.16.1.11', '2001:db8:1::11', '2001:db8:1::12', '2001:db8:1::13'];
      const run = (path: string) => execFileSync('/bin/sh', ['-c', arpProbe('swp1', ips)], { encoding: 'utf8', env: { ...process.env, PATH: path } });
      const r = parseArpProbe(run(`${bin}:/usr/bin:/bin`), ips);
      expect(r).toEqual({ taken: ['2001:db8:1::11'], free: ['172.16.1.11', '2001:db8:1::12'], failed: [{ ip: '2001:db8:1::13', why: 'exit 1: swp1: No such device' }] });
      rmSync(join(bin, 'ndisc6'));
      const none = parseArpProbe(run(`${bin}:/nonexistent`), ips);
      expect(none.failed.map((f) => f.why)).toEqual(['ndisc6 is not installed (Debian package ndisc6)', 'ndisc6 is not installed (Debian package ndisc6)', 'ndisc6 is not installed (Debian package ndisc6)']);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('HTTP probe lines parse', () => {
    const m = parseHttpProbe('172.16.1.11 200 Apache/2.4.62\n172.16.1.12 0\n');
    expect(m.get('172.16.1.11')).toEqual({ status: 200, server: 'Apache/2.4.62' });
    expect(m.get('172.16.1.12')).toEqual({ status: 0, server: '' });
  });
});

describe('cumulus rdnbrd stop on a real shell', () => {
  test('says stopped only when rdnbrd was running', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cldemo-systemctl-'));
    try {
      // a stand-in systemctl: is-active answers from a file, stop records itself
      writeFileSync(join(dir, 'systemctl'), `#!/bin/sh\ncase "$1" in is-active) test -f ${dir}/active ;; stop) rm -f ${dir}/active; echo stop >> ${dir}/log ;; esac\n`, { mode: 0o755 });
      const stop = (): string => execFileSync('/bin/sh', ['-c', switchPlatform('cumulus').agent.stop()], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } }).trim();
      writeFileSync(join(dir, 'active'), '');
      expect(stop()).toBe('stopped');
      expect(stop()).toBe('not-running');
      expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('stop\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the shipped agent's scripts on a real shell", () => {
  // An agent SIGKILLed (a crash, a drill) stays a zombie until its parent reaps it, which on a box
  // whose init reaps late takes seconds: `kill -0` still answers for it. Before, status said
  // `running` and ensure waited up to 20 s for the reaper before starting a new agent.
  test('a killed agent not reaped yet is stopped, and ensure starts a new one at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cldemo-zombie-'));
    // a child that exits once its parent has become `sleep`, which never waits for it: a zombie for 20 s
    // (one that exits before the exec may be reaped by the shell itself)
    const parent = spawnSync('/bin/sh', ['-c', `sh -c 'sleep 0.3 & echo $! > ${dir}/zpid; exec sleep 20' >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
    const parentPid = Number(parent.stdout.trim());
    try {
      let zombie = 0;
      for (let i = 0; i < 100 && !zombie; i++) {
        const pid = existsSync(join(dir, 'zpid')) ? Number(readFileSync(join(dir, 'zpid'), 'utf8')) : 0;
        if (pid && existsSync(`/proc/${pid}/stat`) && / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) zombie = pid;
        else spawnSync('sleep', ['0.05']);
      }
      expect(zombie).toBeGreaterThan(0);
      const pidfile = join(dir, 'rdnbrd.pid');
      writeFileSync(pidfile, `${zombie}\n`);
      // a stand-in node: the agent it would start answers at once
      writeFileSync(join(dir, 'node'), `#!/bin/sh\necho "$@" >> ${dir}/started\n`, { mode: 0o755 });
      const agent = switchPlatform('frr').agent;
      const run = (script: string) =>
        spawnSync('/bin/sh', ['-c', script.replaceAll('/run/rdnbrd.pid', pidfile)], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, timeout: 15_000 });
      expect(run(agent.status()).stdout.trim()).toBe('stopped');
      const t0 = Date.now();
      const ensured = run(agent.ensure('/usr/local/lib/cldemo/rdnbrd-x', false));
      expect(ensured.stdout.trim().split('\n').pop()).toBe('started');
      expect(Date.now() - t0).toBeLessThan(10_000); // the reaper would have taken 20 s
      expect(readFileSync(join(dir, 'started'), 'utf8')).toContain('/usr/local/lib/cldemo/rdnbrd-x/main.js');
    } finally {
      try {
        process.kill(parentPid, 'SIGKILL');
      } catch {
        /* gone */
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
