import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlanSync } from '../../src/providers.js';
import { renderAll } from '../../src/render/index.js';
import { up } from '../../src/fabric/change/up.js';
import { down } from '../../src/fabric/change/down.js';
import { containerSpec, LABEL_SPEC } from '../../src/fabric/change/servers.js';
import { LABEL_TOPOLOGY } from '../../src/fabric/labels.js';
import { silentProgress, type FabricContext, type ProgressEvent } from '../../src/fabric/context.js';
import { showFabricEvents, type Progress } from '../../src/output.js';
import type { AgentBundle } from '../../src/fabric/change/agent.js';
import type { Change } from '../../src/fabric/change/changes.js';
import type { Plan } from '../../src/topology/types.js';
import { auxAddresses } from '../../src/topology/plan.js';
import { FakeFleet } from './fake-node.js';

const plan: Plan = loadPlanSync('topology.yaml');
const agent: AgentBundle = { hash: 'abc123', files: new Map([['main.js', '// agent'], ['package.json', '{}']]) };

function context(fleet: FakeFleet): FabricContext {
  return { plan, connect: fleet.connect, parallel: 4, progress: silentProgress };
}

/** Every node already as the topology wants it: files in place, agent running, containers up. */
function converged(): FakeFleet {
  const fleet = new FakeFleet();
  for (const [node, files] of renderAll(plan)) {
    const n = fleet.get(node);
    for (const { path, text } of files.values()) n.files.set(path, text);
    n.on(/^test -f .*rdnbrd-abc123\/main\.js/, { code: 0 });
    n.on(/kill -0/, { stdout: 'running\n' });
  }
  for (const s of plan.servers) {
    const d = fleet.get(s.name).dockerd;
    d.images.add(plan.image);
    d.networks.set(s.network.name, {
      Name: s.network.name,
      Id: `id-${s.network.name}`,
      Driver: 'macvlan',
      Options: { parent: s.network.parent },
      IPAM: { Config: [{ Subnet: s.network.subnet, Gateway: s.network.gateway, AuxiliaryAddresses: auxAddresses(plan, s.name) }] },
      Labels: { [LABEL_TOPOLOGY]: plan.name },
    });
    s.containers.forEach((c, i) =>
      d.containers.push({ Id: `${s.name}-${i}`, Names: [`/${c.name}`], Labels: { [LABEL_TOPOLOGY]: plan.name, [LABEL_SPEC]: containerSpec(plan, s, c) }, State: 'running', network: s.network.name, ip: c.ip }),
    );
  }
  return fleet;
}

// the agent's ensure script always runs (it is the check); these only run when something changes
const reloads = /ifreload|frr-reload|frrinit|systemctl|kill -HUP/;

describe('up', () => {
  test('from scratch: installs, checks and applies every file, creates networks and containers', async () => {
    const fleet = new FakeFleet();
    for (const s of plan.servers) fleet.get(s.name).dockerd.images.add(plan.image);
    for (const sw of plan.switches) fleet.get(sw.name).on(/^test -f /, { code: 1 }).on(/kill -0/, { stdout: 'started\n' });
    const report = await up(context(fleet), { agent });
    expect(report.ok).toBe(true);
    const leaf01 = fleet.get('leaf01');
    expect(leaf01.ran(/^vtysh --dryrun --inputfile \/etc\/frr\/frr\.conf\.cldemo-new$/)).toHaveLength(1);
    expect(leaf01.ran(/^ifup --syntax-check --all --interfaces \/etc\/network\/interfaces\.cldemo-new$/)).toHaveLength(1);
    expect(leaf01.files.get('/etc/frr/frr.conf')).toBe(renderAll(plan).get('leaf01')!.get('frr')!.text);
    // daemons changed too, so FRR restarts instead of reloading
    expect(leaf01.ran(/frrinit\.sh restart/)).toHaveLength(1);
    expect(leaf01.ran(/frr-reload/)).toHaveLength(0);
    expect(leaf01.uploads.filter((u) => u.includes('rdnbrd-abc123.tmp'))).toHaveLength(2);
    // the agent's own files are root's alone (it runs as root from there)
    expect(leaf01.ran(/mkdir -p .*rdnbrd-abc123\.tmp/)).toEqual([expect.stringMatching(/^umask 077 && mkdir -p /)]);
    expect(leaf01.uploads.filter((u) => u.includes('rdnbrd-abc123.tmp')).map((u) => leaf01.modes.get(u))).toEqual([0o600, 0o600]);
    expect(fleet.get('spine01').ran(/node .*main\.js/)).toHaveLength(0);
    const s1 = fleet.get('server01').dockerd;
    expect(s1.calls).toEqual(expect.arrayContaining(['network.create server01_eth1', 'container.create server01-172.16.1.11']));
    expect(s1.containers.map((c) => c.ip).sort()).toEqual(['172.16.1.11', '172.16.1.12', '172.16.1.13']);
    // the free-address check ran on the server's leaf, port swp1, before creating
    expect(leaf01.ran(/arping -q -c 1 -w 1 -I swp1 172\.16\.1\.11/)).toHaveLength(1);
  });

  test('nothing changed: no upload, no reload, no container touched, and it says so', async () => {
    const fleet = converged();
    const report = await up(context(fleet), { agent });
    expect(report).toMatchObject({ ok: true, changed: false });
    for (const n of fleet.nodes.values()) {
      expect(n.uploads).toEqual([]);
      expect(n.ran(reloads)).toEqual([]);
      expect(n.dockerd.calls).toEqual([]);
    }
    expect(report.nodes.every((n) => n.records.length === 0)).toBe(true);
  });

  test('only frr.conf changed: reload, no restart, no ifreload', async () => {
    const fleet = converged();
    fleet.get('spine02').files.set('/etc/frr/frr.conf', 'old\n');
    const report = await up(context(fleet), { agent });
    expect(report.nodes.find((n) => n.name === 'spine02')!.records).toEqual([
      { type: 'install', path: '/etc/frr/frr.conf' },
      { type: 'apply', step: 'reloadFrr', command: '/usr/lib/frr/frr-reload.py --reload /etc/frr/frr.conf', summary: 'FRR reloaded' },
    ]);
    const spine02 = fleet.get('spine02');
    expect(spine02.ran(/ifreload|frrinit/)).toEqual([]);
    expect(spine02.ran(/cp -p \/etc\/frr\/frr\.conf \/etc\/frr\/frr\.conf\.cldemo-prev/)).toHaveLength(1);
    expect(report.nodes.filter((n) => n.records.length > 0).map((n) => n.name)).toEqual(['spine02']);
  });

  test('a daemons file that differs only in comments is installed without restarting FRR', async () => {
    const fleet = converged();
    const daemons = renderAll(plan).get('leaf01')!.get('daemons')!.text;
    fleet.get('leaf01').files.set('/etc/frr/daemons', `# shipped by the distribution\n${daemons.replace(/^#.*$/gm, '')}`);
    const report = await up(context(fleet), { agent });
    expect(report.nodes.find((n) => n.name === 'leaf01')!.records).toEqual([{ type: 'install', path: '/etc/frr/daemons' }]);
    expect(fleet.get('leaf01').ran(/frrinit|frr-reload/)).toEqual([]);
  });

  test('a changed rdnbrd.conf makes the agent reread it (SIGHUP)', async () => {
    const fleet = converged();
    fleet.get('leaf03').files.set('/etc/rdnbrd.conf', 'holdtime = 9\n');
    await up(context(fleet), { agent });
    const ensure = fleet.get('leaf03').ran(/kill -0/);
    expect(ensure.join('\n')).toMatch(/kill -HUP/);
    expect(fleet.get('leaf02').ran(/kill -0/).join('\n')).not.toMatch(/kill -HUP/);
  });

  test('a config that fails its check is not installed; the old one stays; the error names node, file and checker output', async () => {
    const fleet = converged();
    const leaf02 = fleet.get('leaf02');
    leaf02.files.set('/etc/frr/frr.conf', 'old config\n');
    leaf02.responders.unshift((c) => (c.startsWith('vtysh --dryrun') ? { code: 2, stdout: 'line 7: % Unknown command[25]:  neighbor foo bar baz\n' } : undefined));
    const report = await up(context(fleet), { agent });
    expect(report.ok).toBe(false);
    const r = report.nodes.find((n) => n.name === 'leaf02')!;
    expect(r.error).toContain('/etc/frr/frr.conf failed its check');
    expect(r.error).toContain('Unknown command');
    expect(leaf02.files.get('/etc/frr/frr.conf')).toBe('old config\n');
    expect(leaf02.files.has('/etc/frr/frr.conf.cldemo-new')).toBe(false);
    expect(leaf02.ran(/frr-reload|mv -f/)).toEqual([]);
    expect(report.nodes.filter((n) => !n.ok).map((n) => n.name)).toEqual(['leaf02']);
  });

  test('one unreachable node and one dead dockerd fail only themselves', async () => {
    const fleet = new FakeFleet();
    for (const s of plan.servers) fleet.get(s.name).dockerd.images.add(plan.image);
    for (const sw of plan.switches) fleet.get(sw.name).on(/^test -f /, { code: 1 }).on(/kill -0/, { stdout: 'started\n' });
    fleet.unreachable.add('spine02');
    fleet.get('server03').dockerd.up = false;
    const report = await up(context(fleet), { agent });
    expect(report.ok).toBe(false);
    expect(report.nodes.filter((n) => !n.ok).map((n) => n.name).sort()).toEqual(['server03', 'spine02']);
    expect(report.nodes.find((n) => n.name === 'server03')!.error).toMatch(/Docker engine does not answer.*dockerd running/);
    expect(report.nodes.find((n) => n.name === 'spine02')!.error).toMatch(/cannot open SSH/);
    expect(fleet.get('server04').dockerd.containers).toHaveLength(3);
    expect(fleet.get('spine01').files.has('/etc/frr/frr.conf')).toBe(true);
  });

  test('a changed container spec recreates only that container', async () => {
    const fleet = converged();
    const d = fleet.get('server02').dockerd;
    d.containers[1].Labels[LABEL_SPEC] = 'stale';
    const report = await up(context(fleet), { agent });
    expect(d.calls).toEqual(['container.remove /server02-172.16.1.22', 'container.create server02-172.16.1.22', 'container.start /server02-172.16.1.22']);
    expect(report.nodes.find((n) => n.name === 'server02')!.records).toEqual([{ type: 'container', action: 'recreate', name: 'server02-172.16.1.22' }]);
    for (const s of ['server01', 'server03', 'server04']) expect(fleet.get(s).dockerd.calls).toEqual([]);
  });

  test('a network removed by hand under stopped containers: up creates it and recreates its containers (they named the old one and could not start)', async () => {
    const fleet = converged();
    const d = fleet.get('server03').dockerd;
    for (const c of d.containers) c.State = 'exited';
    d.networks.clear();
    const report = await up(context(fleet), { agent });
    const names = plan.servers.find((s) => s.name === 'server03')!.containers.map((c) => c.name);
    expect(report.nodes.find((n) => n.name === 'server03')!.records).toEqual([
      { type: 'network', action: 'create', name: 'server03_eth1' },
      ...names.map((name) => ({ type: 'container', action: 'recreate', name })),
    ]);
    expect(d.calls.filter((c) => c.startsWith('container.remove'))).toEqual(names.map((n) => `container.remove /${n}`));
    expect(d.containers.map((c) => [c.Names[0], c.State])).toEqual(names.map((n) => [`/${n}`, 'running']));
  });

  test('an address that already answers ARP on the leaf is refused, not duplicated', async () => {
    const fleet = converged();
    const d = fleet.get('server04').dockerd;
    d.containers = d.containers.filter((c) => c.ip !== '172.16.1.43');
    fleet.get('leaf04').responders.unshift((c) => (c.includes('arping') ? { stdout: 'taken 172.16.1.43\n' } : undefined));
    const report = await up(context(fleet), { agent });
    const r = report.nodes.find((n) => n.name === 'server04')!;
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/172\.16\.1\.43 already answers ARP on leaf04 swp2.*not creating server04-172\.16\.1\.43/);
    expect(d.calls.filter((c) => c.startsWith('container.create'))).toEqual([]);
  });

  test('an address check that cannot ask (arping fails on the leaf) creates nothing and says why', async () => {
    const fleet = converged();
    const d = fleet.get('server01').dockerd;
    d.containers = [];
    // the leaf runs the real script in a real sh, with an arping that cannot use the port
    const bin = mkdtempSync(join(tmpdir(), 'cldemo-arping-'));
    try {
      writeFileSync(join(bin, 'arping'), '#!/bin/sh\necho "arping: libnet_init(LIBNET_LINK, swp1): libnet_check_iface() ioctl: No such device" >&2\nexit 1\n', { mode: 0o755 });
      fleet.get('leaf01').responders.unshift((c) => {
        if (!c.includes('arping')) return undefined;
        const r = spawnSync('/bin/sh', ['-c', c], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
        return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
      });
      const report = await up(context(fleet), { agent });
      const r = report.nodes.find((n) => n.name === 'server01')!;
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/cannot check from leaf01 that the container addresses are free.*No such device/);
      expect(d.calls.filter((c) => c.startsWith('container.create'))).toEqual([]);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test.each([4, 1])('from scratch (--parallel %i): each server asks its leaf only once the leaf has configured its server port', async (parallel) => {
    const fleet = new FakeFleet();
    for (const s of plan.servers) fleet.get(s.name).dockerd.images.add(plan.image);
    for (const sw of plan.switches) fleet.get(sw.name).on(/^test -f /, { code: 1 }).on(/kill -0/, { stdout: 'started\n' });
    const configured = new Set<string>();
    for (const leaf of plan.switches.filter((s) => s.role === 'leaf')) {
      const node = fleet.get(leaf.name);
      const exec = node.exec.bind(node);
      // the leaf's ifreload takes a while, as on a real switch; until it has run, arping has no source address
      node.exec = async (c) => {
        if (/ifreload/.test(c)) {
          await new Promise((r) => setTimeout(r, 50));
          configured.add(leaf.name);
        }
        return exec(c);
      };
      node.responders.unshift((c) =>
        c.includes('arping') && !configured.has(leaf.name) ? { stdout: [...c.matchAll(/-I \S+ (\S+) /g)].map((m) => `failed ${m[1]} exit 1: arping: Unable to get the IPv4 address of interface swp1:\n`).join('') } : undefined,
      );
    }
    const report = await up({ ...context(fleet), parallel }, { agent });
    expect(report.nodes.filter((n) => !n.ok)).toEqual([]);
    for (const s of plan.servers) expect(fleet.get(s.name).dockerd.containers).toHaveLength(s.containers.length);
  });

  test('every failed container is reported, not only the first', async () => {
    const fleet = converged();
    const d = fleet.get('server01').dockerd;
    d.containers = [];
    d.failCreate = new Set(['server01-172.16.1.11', 'server01-172.16.1.13']);
    const report = await up(context(fleet), { agent });
    const r = report.nodes.find((n) => n.name === 'server01')!;
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^2 container operations failed:\n {2}docker create container server01-172\.16\.1\.11: Conflict\n {2}docker create container server01-172\.16\.1\.13: Conflict$/);
    expect(d.containers.map((c) => c.ip)).toEqual(['172.16.1.12']);
  });

  test('a missing image is a clear error', async () => {
    const fleet = converged();
    fleet.get('server01').dockerd.images.clear();
    const report = await up(context(fleet), { agent });
    expect(report.nodes.find((n) => n.name === 'server01')!.error).toMatch(/image cldemo\/apache:latest is not on this server/);
  });

  test('dry run reports what would change and touches nothing', async () => {
    const fleet = new FakeFleet();
    for (const s of plan.servers) fleet.get(s.name).dockerd.images.add(plan.image);
    for (const sw of plan.switches) fleet.get(sw.name).on(/^test -f /, { code: 1 }).on(/kill -0/, { stdout: 'stopped\n' });
    const report = await up(context(fleet), { agent, dryRun: true });
    expect(report).toMatchObject({ ok: true, dry_run: true, changed: true });
    expect(report.nodes.find((n) => n.name === 'leaf01')!.records).toEqual(
      expect.arrayContaining([{ type: 'install', path: '/etc/frr/frr.conf' }, { type: 'agent', action: 'upload', dir: '/usr/local/lib/cldemo/rdnbrd-abc123' }, { type: 'agent', action: 'start' }]),
    );
    expect(report.nodes.find((n) => n.name === 'server01')!.records).toContainEqual({ type: 'container', action: 'create', name: 'server01-172.16.1.11' });
    for (const n of fleet.nodes.values()) {
      expect(n.uploads).toEqual([]);
      expect(n.dockerd.calls).toEqual([]);
      expect(n.ran(/mv |ifreload|frr-reload|frrinit|arping/)).toEqual([]);
    }
  });
});

describe('up, dual stack', () => {
  const dual: Plan = loadPlanSync('examples/dual-stack.yaml');
  const dualContext = (fleet: FakeFleet): FabricContext => ({ plan: dual, connect: fleet.connect, parallel: 4, progress: silentProgress });
  const fromScratch = () => {
    const fleet = new FakeFleet();
    for (const s of dual.servers) fleet.get(s.name).dockerd.images.add(dual.image);
    for (const sw of dual.switches) fleet.get(sw.name).on(/^test -f /, { code: 1 }).on(/kill -0/, { stdout: 'started\n' });
    return fleet;
  };

  test('macvlan networks with IPv6 on and both pools; each container its fixed IPv6 address; both families checked free first', async () => {
    const fleet = fromScratch();
    const report = await up(dualContext(fleet), { agent });
    expect(report.ok).toBe(true);
    const d = fleet.get('server02').dockerd;
    const net = d.networks.get('server02_eth2')!;
    expect(net.EnableIPv6).toBe(true);
    expect(net.IPAM.Config.map((c) => [c.Subnet, c.Gateway])).toEqual([['172.16.1.0/24', '172.16.1.1'], ['2001:db8:1::/64', '2001:db8:1::1']]);
    // the IPv6 pool never hands out another server's or container's address either
    expect(Object.values(net.IPAM.Config[1].AuxiliaryAddresses!)).toEqual(expect.arrayContaining(['2001:db8:1::11', '2001:db8:1::252', '2001:db8:1::43']));
    expect(Object.values(net.IPAM.Config[1].AuxiliaryAddresses!)).not.toContain('2001:db8:1::21');
    expect(d.containers.map((c) => [c.ip, c.ip6])).toEqual([
      ['172.16.1.21', '2001:db8:1::21'],
      ['172.16.1.22', '2001:db8:1::22'],
      ['172.16.1.23', '2001:db8:1::23'],
    ]);
    const leaf02 = fleet.get('leaf02');
    expect(leaf02.ran(/arping -q -c 1 -w 1 -I swp2 172\.16\.1\.21 /)).toHaveLength(1);
    expect(leaf02.ran(/ndisc6 -q -1 -r 1 -w 1000 2001:db8:1::21 swp2 2>&1/)).toHaveLength(1);
  });

  test('a second up changes nothing (Docker may spell the pool otherwise); an IPv4-only network is recreated with IPv6', async () => {
    const fleet = fromScratch();
    await up(dualContext(fleet), { agent });
    for (const s of dual.servers) {
      const d = fleet.get(s.name).dockerd;
      const v6 = d.networks.get(s.network.name)!.IPAM.Config[1];
      v6.Subnet = '2001:0DB8:0001::/64';
      v6.Gateway = '2001:db8:1:0::1';
      d.calls = [];
    }
    const again = await up(dualContext(fleet), { agent });
    // the fake's switches always want their agent uploaded again: the servers' records are what counts
    expect(again.nodes.filter((n) => n.role === 'server').flatMap((n) => n.records ?? [])).toEqual([]);
    const d = fleet.get('server01').dockerd;
    const net = d.networks.get('server01_eth1')!;
    delete net.EnableIPv6;
    net.IPAM.Config.pop();
    const third = await up(dualContext(fleet), { agent });
    expect(third.nodes.find((n) => n.name === 'server01')!.records).toEqual(expect.arrayContaining([{ type: 'network', action: 'recreate', name: 'server01_eth1' }]));
    expect(d.networks.get('server01_eth1')!.EnableIPv6).toBe(true);
  });

  test("an IPv6 address that already answers neighbor discovery is refused; an IPv4-only container's spec label is what it was", async () => {
    const fleet = fromScratch();
    fleet.get('leaf03').responders.unshift((c) => (c.includes('ndisc6') ? { stdout: 'free 172.16.1.31\nfree 172.16.1.32\nfree 172.16.1.33\ntaken 2001:db8:1::32\nfree 2001:db8:1::31\nfree 2001:db8:1::33\n' } : undefined));
    const report = await up(dualContext(fleet), { agent });
    const r = report.nodes.find((n) => n.name === 'server03')!;
    expect(r.error).toMatch(/2001:db8:1::32 already answers ARP or neighbor discovery on leaf03 swp1: .*not creating server03-172\.16\.1\.32$/);
    expect(fleet.get('server03').dockerd.containers).toEqual([]);
    // IPv4 only: the spec hash has no IPv6 field, so an upgrade recreates nothing
    const s1 = plan.servers[0];
    expect(containerSpec(plan, s1, s1.containers[0])).toBe('3e379f305b0304cf') // main's, before dual stack;
  });
});

describe('down', () => {
  test("removes only this topology's containers and networks and stops the agent; twice is harmless", async () => {
    const fleet = converged();
    const d = fleet.get('server01').dockerd;
    d.containers.push({ Id: 'other', Names: ['/someone-else'], Labels: {}, State: 'running', network: 'bridge', ip: '' });
    const first = await down(context(fleet));
    expect(first.ok).toBe(true);
    expect(d.containers.map((c) => c.Names[0])).toEqual(['/someone-else']);
    expect(d.networks.size).toBe(0);
    expect(fleet.get('leaf01').ran(/kill -TERM/)).toHaveLength(1);
    expect(fleet.get('spine01').ran(/kill -TERM/)).toHaveLength(0);
    const second = await down(context(fleet));
    expect(second.ok).toBe(true);
    expect(second.nodes.filter((n) => n.role === 'server').every((n) => n.records.length === 0)).toBe(true);
  });
});

describe('progress', () => {
  /** The lines a command would draw, and every event the fabric emitted, of one run. */
  function recorder(unchanged?: string, verbose?: boolean) {
    const events: ProgressEvent[] = [];
    const lines: string[] = [];
    const p: Progress = { step: (n, m) => lines.push(`step ${n}: ${m}`), done: (n, m) => lines.push(`done ${n}: ${m}`), fail: (n, m) => lines.push(`fail ${n}: ${m}`), stop: () => lines.push('stop') };
    let clock = 0;
    const draw = showFabricEvents(p, { unchanged, verbose, now: () => (clock += 700) });
    return { events, lines, progress: (e: ProgressEvent) => (events.push(e), draw(e)) };
  }

  test('up and down emit one node-done event per node and never stop the drawing themselves; the command words them', async () => {
    const fleet = converged();
    const u = recorder();
    await up({ ...context(fleet), progress: u.progress }, { agent });
    const nodes = [...plan.switches, ...plan.servers].map((n) => n.name).sort();
    expect(u.events.filter((e) => e.kind === 'node-done').map((e) => e.node).sort()).toEqual(nodes);
    expect(u.lines.filter((l) => l.startsWith('done '))).toEqual(nodes.map(() => expect.stringMatching(/: unchanged \(\d+\.\d s\)$/)));
    expect(u.lines).not.toContain('stop');
    const d = recorder('nothing to do');
    await down({ ...context(fleet), progress: d.progress });
    await down({ ...context(fleet), progress: d.progress });
    expect(d.lines).toContainEqual(expect.stringMatching(/^done server01: nothing to do \(\d+\.\d s\)$/));
    expect(d.lines).not.toContain('stop');
  });

  test("a node's finished line counts what it did and says how long it took, short at any size; --verbose lists every change", () => {
    const changes: Change[] = [
      { type: 'install', path: '/etc/network/interfaces' },
      { type: 'apply', step: 'reloadInterfaces', command: 'ifreload -a', summary: 'ifreload' },
      { type: 'network', action: 'create', name: 'server01_eth1' },
      ...Array.from({ length: 32 }, (_, i): Change => ({ type: 'container', action: 'create', name: `server01-172.16.1.${100 + i}` })),
    ];
    const r = recorder();
    r.progress({ kind: 'step', node: 'server01', doing: 'uplink config' });
    r.progress({ kind: 'node-done', node: 'server01', changes, dryRun: false });
    expect(r.lines.at(-1)).toBe('done server01: 1 file, ifreload, network created, 32 containers created (0.7 s)');
    // a node that says nothing before it is done: its time runs from the run's start
    r.progress({ kind: 'node-done', node: 'server02', changes: changes.slice(2, 4), dryRun: false });
    expect(r.lines.at(-1)).toBe('done server02: network created, container created (2.1 s)');
    const v = recorder(undefined, true);
    v.progress({ kind: 'node-done', node: 'server01', changes, dryRun: false });
    const full = v.lines.at(-1)!;
    expect(full).toMatch(/^done server01: installed \/etc\/network\/interfaces; ifreload -a; created network server01_eth1; created container server01-172\.16\.1\.100; /);
    expect(full.split('; ')).toHaveLength(35);
  });

  test('ping-sweep and verify-routes events read as before', () => {
    const r = recorder();
    r.progress({ kind: 'swept', node: 'leaf01', answered: 3, targets: 4 });
    r.progress({ kind: 'round', holding: 2, switches: 4, switchesPending: 2, httpPending: 5 });
    r.progress({ kind: 'step', node: 'leaf01', doing: 'comparing config' });
    expect(r.lines).toEqual(['done leaf01: 3/4 answered', 'step verify-routes: 2/4 switches hold, 2 switches and 5 HTTP checks pending', 'step leaf01: comparing config']);
  });
});
