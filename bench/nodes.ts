/**
 * Scenario 8, scale by nodes: a fabric from `cldemo generate` with many nodes (the full run:
 * 4 spines, 32 leaves, 64 servers, 4 containers each: 100 nodes, 256 containers), measured
 * two ways on one lab.
 *
 * The lab as it is (every node's daemons share this machine's cores):
 *   lab up; up from scratch; the time from up's exit until every /32 is on every switch (the
 *   kernels' own change streams, no ping-sweep); up again (nothing to change); status;
 *   verify-routes; events for a fixed window. For each command, the laptop's share apart:
 *   the cldemo process's own CPU (user + system, no child's), its peak RSS and the TCP
 *   connections it opened (lib/rss-at-exit, preloaded), and what a run that reaches no node
 *   costs (`validate`: Node's start and the topology), so the cost per node can be told from
 *   the fixed one. For up from scratch, the nodes' own CPU: every lab process's CPU and
 *   its reaped children's (lib/node-usage), which over the cores is a floor for up's wall
 *   time here (up / floor near 1: up waited on nothing but the nodes' own work; the rest of
 *   the machine's load makes it larger). Each node's memory is sampled all along and
 *   reported per node kind.
 *
 * Over long management links (what the operator waits for on real boxes far away): the same
 * lab driven as provider external, each node's sshd reached through a relay on 127.0.0.1
 * that holds every chunk `oneWayMs` each way (lib/delay-relay: this kernel has no netem).
 * up again, status and verify-routes at each --parallel of the list; the relays count the
 * connections each command opened per node.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ensureApacheImage, labStatus, loadPlan, netnsName, type Plan } from 'cldemo/bench';
import { startRelays, type Relays } from './lib/delay-relay.js';
import { removeLabOnSignal } from './lib/interrupt.js';
import { cldemo, figure, sampleMemory, sleep, stepFigure, type CliRun, type Figure, type OwnShare } from './lib/measure.js';
import { labCpuMeter, sampleNodeMemory, type KindMemory, type NodeRef } from './lib/node-usage.js';
import { RouteWatch } from './lib/route-watch.js';
import { generateTopology, type TopologyShape } from './lifecycle.js';

export interface NodesConfig extends TopologyShape {
  /** delay each way on the relayed management links, ms */
  oneWayMs: number;
  /** --parallel values tried over the relays (the product's default among them) */
  parallels: number[];
  /** the product's default --parallel (measured for the laptop's share too) */
  defaultParallel: number;
  /** events' fixed window, s */
  eventsS: number;
}

export interface NodesTargets {
  labUp: number;
  /** up / the nodes' own CPU floor */
  upFloorRatio: number;
  /** last /32 everywhere after up's exit, ms */
  routesAfterUp: number;
  /** the laptop's share: CPU ms per node */
  upCpuPerNode: number;
  statusCpuPerNode: number;
  rssMiB: number;
  connectionsPerNode: number;
  /** over the delayed links, ms */
  relayUpSecond: number;
  relayStatus: number;
  relayVerify: number;
}

export const NODES_TARGETS: NodesTargets = {
  labUp: 30_000,
  upFloorRatio: 1.25,
  routesAfterUp: 5_000,
  upCpuPerNode: 100,
  statusCpuPerNode: 20,
  rssMiB: 300,
  connectionsPerNode: 1,
  relayUpSecond: 3_000,
  relayStatus: 2_000,
  relayVerify: 3_000,
};

export interface NodesResult {
  nodes: number;
  containers: number;
  figures: Figure[];
  memory: KindMemory[];
  /** the nodes' CPU during up from scratch, and what was taken off to get it */
  upCpu?: { hostBusyS: number; cldemoS: number; nodesS: number; byKind: Record<string, number>; cores: number; wallS: number };
  /** every command's own share, by step */
  shares: Record<string, OwnShare | undefined>;
  /** over the relays: step -> wall ms and connections per node */
  relayed: { step: string; parallel: number; ms: number; ok: boolean; connections: { total: number; max: number }; error?: string }[];
  load: { before: number[]; after: number[] };
  hostMemory: { baselineMiB: number; peakMiB: number };
}

const STEP_TIMEOUT_MS = 900_000;
const SESSIONS_END_MS = 1000;

/** The lab topology rewritten as provider external, each node at its relay's port on 127.0.0.1. */
function relayedTopology(labFile: string, dir: string, relays: Relays, ssh: { identity_file: string; known_hosts: string }, nodeKeys: Map<string, string>): string {
  const doc = parseDocument(readFileSync(labFile, 'utf8'));
  doc.set('provider', 'external');
  for (const section of ['switches', 'servers']) {
    for (const [name, port] of relays.ports) {
      if (doc.hasIn([section, name])) doc.setIn([section, name, 'mgmt'], doc.createNode({ host: '127.0.0.1', port }, { flow: true }));
    }
  }
  // every relay's host key is its node's: one known_hosts line per [127.0.0.1]:port
  const known = join(dir, 'relayed-known_hosts');
  writeFileSync(known, [...relays.ports].map(([name, port]) => `[127.0.0.1]:${port} ${nodeKeys.get(name)}`).join('\n') + '\n', { mode: 0o600 });
  doc.set('ssh', doc.createNode({ user: 'root', identity_file: ssh.identity_file, known_hosts: known }, { flow: true }));
  const file = join(dir, 'relayed.yaml');
  writeFileSync(file, String(doc));
  return file;
}

/** node name -> its host key as the lab's known_hosts holds it ("TYPE BASE64"). */
function labHostKeys(knownHosts: string, nodes: { name: string; mgmt_ip: string }[]): Map<string, string> {
  const byIp = new Map<string, string>();
  for (const line of readFileSync(knownHosts, 'utf8').split('\n')) {
    const [host, ...key] = line.trim().split(/\s+/);
    if (host && key.length >= 2 && !byIp.has(host)) byIp.set(host, key.slice(0, 2).join(' '));
  }
  return new Map(nodes.map((n) => {
    const key = byIp.get(n.mgmt_ip);
    if (!key) throw new Error(`${knownHosts}: no host key for ${n.name} (${n.mgmt_ip})`);
    return [n.name, key];
  }));
}

export async function runNodes(dir: string, cfg: NodesConfig, opts: { label?: string; log?: (message: string) => void; targets?: NodesTargets } = {}): Promise<NodesResult> {
  const { label = '8 nodes', log = () => undefined, targets = NODES_TARGETS } = opts;
  const topology = await generateTopology(dir, cfg);
  const plan: Plan = await loadPlan(topology);
  const nodes = plan.switches.length + plan.servers.length;
  const containers = plan.containers.length;
  await ensureApacheImage();
  await cldemo(['lab', 'down'], { topology, json: false }); // a leftover of an interrupted run of ours
  const release = removeLabOnSignal(topology);
  const hostMemory = sampleMemory();
  const refs: NodeRef[] = [
    ...plan.switches.map((s) => ({ name: s.name, kind: s.role, netnsFile: `/run/netns/${netnsName(plan.name, s.name)}` })),
    ...plan.servers.map((s) => ({ name: s.name, kind: 'server', netnsFile: `/run/netns/${netnsName(plan.name, s.name)}` })),
  ];
  const nodeMemory = sampleNodeMemory(refs);
  const load = { before: loadavg(), after: [] as number[] };
  const runs: Record<string, CliRun> = {};
  const relayed: NodesResult['relayed'] = [];
  let upCpu: NodesResult['upCpu'];
  let routesAfterUp: number | undefined;
  let routesError: string | undefined;
  const step = async (key: string, args: string[], opts: Parameters<typeof cldemo>[1] = {}): Promise<CliRun> => {
    log(`${label}: ${args.join(' ')}`);
    const r = await cldemo(args, { topology, timeoutMs: STEP_TIMEOUT_MS, share: true, ...opts });
    runs[key] = r;
    if (!r.ok) log(`${label}: ${r.command} failed: ${r.error}`);
    return r;
  };
  let relays: Relays | undefined;
  try {
    const labUp = await step('lab_up', ['lab', 'up', '--no-install'], { json: false, share: false });
    if (!labUp.ok) throw new Error(`lab up failed: ${labUp.error}`);
    nodeMemory.sampleNow();
    await step('validate', ['validate'], { json: false });
    const watch = new RouteWatch(plan, (sw) => netnsName(plan.name, sw));
    await watch.start();
    const ips = plan.containers.map((c) => c.ip);
    watch.assume(ips, false);
    try {
      const labCpu = labCpuMeter(refs);
      const up = await step('up', ['up'], { json: false, stamps: true, hostCpu: true });
      const upEnd = Date.now();
      // a node's sshd counts its sessions' CPU once they end, as cldemo exits
      await sleep(SESSIONS_END_MS);
      const nodesCpu = labCpu.stop();
      if (up.hostCpu && up.share) {
        upCpu = { hostBusyS: up.hostCpu.busyS, cldemoS: up.share.cpuMs / 1000, nodesS: nodesCpu.totalS, byKind: nodesCpu.byKind, cores: up.hostCpu.cores, wallS: up.ms / 1000 };
      }
      if (up.ok) {
        if (await watch.waitEverywhere(ips, true, 120_000)) routesAfterUp = Math.max(...ips.map((ip) => watch.everywhereSince(ip, true)!)) - upEnd;
        else routesError = `not every /32 on every switch 120 s after up: ${watch.lagging(ips, true).slice(0, 3).join('; ')}`;
      }
    } finally {
      watch.stop();
    }
    nodeMemory.sampleNow();
    await step('verify_wait', ['verify-routes', '--wait', '60']);
    await step('up_second', ['up']);
    await step('status', ['status']);
    await step('verify', ['verify-routes']);
    await step('events', ['events', '--duration', String(cfg.eventsS)]);
    nodeMemory.sampleNow();

    // the same lab over delayed management links
    const status = await labStatus(plan);
    const keys = labHostKeys(status.ssh.known_hosts, status.nodes);
    relays = await startRelays(status.nodes.map((n) => ({ name: n.name, host: n.mgmt_ip, port: 22 })), cfg.oneWayMs);
    const far = relayedTopology(topology, dir, relays, status.ssh, keys);
    const relayStep = async (name: string, args: string[], parallel: number): Promise<void> => {
      relays!.resetCounts();
      log(`${label}: over ${2 * cfg.oneWayMs} ms: ${args.join(' ')} --parallel ${parallel}`);
      const r = await cldemo([...args, '--parallel', String(parallel)], { topology: far, timeoutMs: STEP_TIMEOUT_MS, share: parallel === cfg.defaultParallel });
      const c = [...relays!.connections().values()];
      const error = r.ok ? changedError(r) : r.error;
      relayed.push({ step: name, parallel, ms: r.ms, ok: !error, connections: { total: c.reduce((a, b) => a + b, 0), max: Math.max(0, ...c) }, ...(error ? { error } : {}) });
      if (parallel === cfg.defaultParallel) runs[`relay_${name}`] = r;
      if (!r.ok) log(`${label}: ${r.command} failed: ${r.error}`);
    };
    for (const parallel of cfg.parallels) {
      await relayStep('up_second', ['up'], parallel);
      await relayStep('status', ['status'], parallel);
      await relayStep('verify', ['verify-routes'], parallel);
    }
  } finally {
    await relays?.close();
    log(`${label}: lab down`);
    runs.lab_down = await cldemo(['lab', 'down'], { topology, json: false, timeoutMs: STEP_TIMEOUT_MS });
    release();
  }
  load.after = loadavg();
  const memory = nodeMemory.stop();
  const mem = hostMemory.stop();
  const figures = nodesFigures({ cfg, nodes, runs, relayed, upCpu, routesAfterUp, routesError, memory, targets });
  const shares = Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, r.share]));
  return { nodes, containers, figures: figures.map((f) => ({ ...f, scenario: `${label} (${nodes} nodes, ${containers} containers)` })), memory, upCpu, shares, relayed, load, hostMemory: { baselineMiB: mem.baselineMiB, peakMiB: mem.peakMiB } };
}

/** An `up` meant to find nothing to change that changed something is not that case. */
function changedError(r: CliRun): string | undefined {
  const doc = r.doc as { changed?: boolean } | undefined;
  return r.command.startsWith('cldemo up') && doc?.changed ? `${r.command} changed something: not a run with nothing to change` : undefined;
}

function loadavg(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

interface FigureInputs {
  cfg: NodesConfig;
  nodes: number;
  runs: Record<string, CliRun>;
  relayed: NodesResult['relayed'];
  upCpu: NodesResult['upCpu'];
  routesAfterUp: number | undefined;
  routesError: string | undefined;
  memory: KindMemory[];
  targets: NodesTargets;
}

function nodesFigures({ cfg, nodes, runs, relayed, upCpu, routesAfterUp, routesError, memory, targets }: FigureInputs): Figure[] {
  const rows: Figure[] = [];
  const has = (k: string): CliRun | undefined => runs[k];
  const steps: [string, string, number?][] = [
    ['lab_up', 'lab up (image cached)', targets.labUp],
    ['up', 'up (from scratch)'],
    ['up_second', 'up (again, nothing to change)'],
    ['status', 'status'],
    ['verify', 'verify-routes'],
    ['events', `events, a ${cfg.eventsS} s window`],
  ];
  for (const [k, name, target] of steps) {
    const r = has(k);
    if (r) rows.push(stepFigure(`nodes.${k}`, name, [r], { target, error: changedError(r) }));
  }
  if (upCpu) {
    const floorMs = (upCpu.nodesS / upCpu.cores) * 1000;
    const up = has('up')!;
    const kinds = Object.entries(upCpu.byKind).map(([k, v]) => `${k}s ${v.toFixed(1)}`).join(', ');
    rows.push(figure('nodes.up_nodes_cpu', "  up: the nodes' own CPU (their processes and reaped children)", [upCpu.nodesS], { unit: 'CPU s', note: `${kinds}; the whole host was busy ${upCpu.hostBusyS.toFixed(1)} CPU s, cldemo itself ${upCpu.cldemoS.toFixed(1)}` }));
    rows.push(figure('nodes.up_floor', `  the nodes' CPU / ${upCpu.cores} cores: a floor for up here`, [floorMs]));
    rows.push(figure('nodes.up_floor_ratio', '  up / that floor', [up.ms / floorMs], { unit: 'x', target: targets.upFloorRatio, error: up.ok ? undefined : up.error }));
  }
  rows.push(figure('nodes.routes_after_up', 'every /32 on every switch, after up exits (no ping-sweep)', routesAfterUp === undefined ? [] : [routesAfterUp], {
    target: targets.routesAfterUp,
    error: routesError ?? (routesAfterUp === undefined ? 'up failed' : undefined),
    signed: 'every /32 was on every switch before up exited',
  }));
  // the laptop's share
  const base = has('validate')?.share;
  if (base) rows.push(figure('nodes.own.start.cpu', 'laptop: a run that reaches no node (validate): its CPU', [base.cpuMs], { note: `peak RSS ${(base.maxRssKb / 1024).toFixed(0)} MiB: Node's start and the topology, in every command` }));
  const shareRows: [string, string, number | undefined][] = [
    ['up', 'up (from scratch)', targets.upCpuPerNode],
    ['up_second', 'up (again)', undefined],
    ['status', 'status', targets.statusCpuPerNode],
    ['verify', 'verify-routes', undefined],
    ['events', `events (${cfg.eventsS} s)`, undefined],
    ['relay_up_second', `up again over ${2 * cfg.oneWayMs} ms`, undefined],
    ['relay_status', `status over ${2 * cfg.oneWayMs} ms`, undefined],
    ['relay_verify', `verify-routes over ${2 * cfg.oneWayMs} ms`, undefined],
  ];
  for (const [k, name, cpuTarget] of shareRows) {
    const r = has(k);
    if (!r) continue;
    const s = r.share;
    const missing = s ? undefined : `${r.command}: no measurement from inside the process (${r.error ?? 'it wrote none'})`;
    const sshConns = s ? Object.entries(s.connects).filter(([where]) => where.endsWith(':22') || where.startsWith('127.0.0.1:')).reduce((a, [, n]) => a + n, 0) : NaN;
    const beyond = s && base ? `; ${((s.cpuMs - base.cpuMs) / nodes).toFixed(1)} ms per node beyond a run that reaches none` : '';
    rows.push(figure(`nodes.own.${k}.cpu_per_node`, `laptop: ${name}, cldemo's own CPU per node`, s ? [s.cpuMs / nodes] : [], { target: cpuTarget, error: missing, note: s ? `${(s.cpuMs / 1000).toFixed(2)} CPU s in all (user ${(s.userMs / 1000).toFixed(2)}, system ${(s.systemMs / 1000).toFixed(2)})${beyond}` : undefined }));
    rows.push(figure(`nodes.own.${k}.rss`, `laptop: ${name}, peak RSS`, s ? [s.maxRssKb / 1024] : [], { unit: 'MiB', target: targets.rssMiB, error: missing }));
    rows.push(figure(`nodes.own.${k}.connections_per_node`, `laptop: ${name}, SSH connections per node`, s ? [sshConns / nodes] : [], { unit: 'x', target: targets.connectionsPerNode, error: missing }));
  }
  // over the delayed links: each --parallel
  const relayTargets: Record<string, number> = { up_second: targets.relayUpSecond, status: targets.relayStatus, verify: targets.relayVerify };
  const relayNames: Record<string, string> = { up_second: 'up again (nothing to change)', status: 'status', verify: 'verify-routes' };
  for (const r of relayed) {
    const dflt = r.parallel === cfg.defaultParallel ? ' (the default)' : '';
    rows.push(figure(`nodes.relay.${r.step}.p${r.parallel}`, `over ${2 * cfg.oneWayMs} ms: ${relayNames[r.step]}, --parallel ${r.parallel}${dflt}`, r.ok ? [r.ms] : [], {
      target: relayTargets[r.step],
      error: r.ok ? undefined : r.error,
      note: `${r.connections.total} connections to ${nodes} nodes (at most ${r.connections.max} to one)`,
    }));
  }
  for (const m of memory) {
    rows.push(figure(`nodes.mem.${m.kind}`, `memory per ${m.kind} (RSS of its processes${m.kind === 'server' ? ' and containers' : ''}), peak: mean of ${m.nodes}`, [m.meanPeakMiB], { unit: 'MiB', note: `largest ${m.maxPeakMiB} MiB; all ${m.nodes} together at their peak ${m.totalPeakMiB} MiB` }));
  }
  if (has('lab_down')) rows.push(stepFigure('nodes.lab_down', 'lab down', [runs.lab_down]));
  return rows;
}
