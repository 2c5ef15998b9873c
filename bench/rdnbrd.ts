#!/usr/bin/env node
/**
 * rdnbrd speed, against a real kernel: a switch namespace and a host namespace that
 * owns N addresses behind one veth. Measures, with the agent from dist/rdnbrd:
 *   - install latency: neighbor entry appears -> its /32 appears (p50/p95/max),
 *   - withdrawal latency: host stops answering -> /32 gone, over >= 100 hosts,
 *   - CPU of the agent (and of its two ip children) with N neighbors at keepalive 1 s.
 *
 *   node dist/bench/rdnbrd.js [--quick] [--hosts N] [--steady SECONDS] [--json FILE] [--agent-log FILE]
 *                        [--raise-gc-thresh]
 *
 * Needs root and `npm run build`. Exported as runRdnbrdBench() for the bench suite.
 * Targets (issue 4): install p95 <= 100 ms, withdrawal p95 <= holdtime + 1 s,
 * CPU <= 5 % of one core for 1,000 neighbors.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { RDNBRD_PROTO, readProcStat } from 'cldemo/bench';
import { ROOT, sleep } from './lib/measure.js';

interface Summary {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

interface SwitchEvents {
  neighFirstSeen: Map<string, number>;
  routeAdded: Map<string, number>;
  routeDeleted: Map<string, number[]>;
  counters(): { reachable: number; routeDeletions: number };
  stop(): void;
}

export interface RdnbrdBenchOptions {
  hosts?: number;
  steady?: number;
  withdraw?: number;
  rate?: number;
  agentLog?: string;
  raiseGcThresh?: boolean;
}
const AGENT = join(ROOT, 'dist', 'rdnbrd', 'main.js');
const KEEPALIVE_S = 1;
const HOLDTIME_S = 3;
const TABLE = 10;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function hostAddress(i: number): string {
  return `10.80.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

function ipBatch(ns: string, lines: string[]): void {
  const run = spawnSync('ip', ['-n', ns, '-force', '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ip -n ${ns} -batch: ${run.stderr.split('\n').slice(0, 3).join(' ')}`);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(values: number[]): Summary {
  const round = (v: number): number => Math.round(v * 10) / 10;
  return { n: values.length, p50: round(percentile(values, 50)), p95: round(percentile(values, 95)), max: round(Math.max(...values)) };
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readProcStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return (stat.utime + stat.stime) / CLK_TCK;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Kernel events seen from the switch, stamped on arrival. */
function watchSwitch(ns: string): SwitchEvents {
  const child = spawn('ip', ['netns', 'exec', ns, 'ip', '-4', 'monitor', 'neigh', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const neighFirstSeen = new Map<string, number>();
  const routeAdded = new Map<string, number>();
  const routeDeleted = new Map<string, number[]>();
  let reachable = 0;
  let routeDeletions = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const now = performance.now();
    const deleted = line.startsWith('Deleted ');
    const words = line.replace(/^Deleted /, '').trim().split(/\s+/);
    const ip = words[0].replace(/\/32$/, '');
    if (line.includes(`table ${TABLE}`)) {
      if (deleted) {
        routeDeletions += 1;
        routeDeleted.set(ip, [...(routeDeleted.get(ip) ?? []), now]);
      } else if (!routeAdded.has(ip)) routeAdded.set(ip, now);
    } else if (line.includes(' lladdr ') || line.includes(' FAILED')) {
      if (!deleted && !neighFirstSeen.has(ip)) neighFirstSeen.set(ip, now);
      if (line.endsWith('REACHABLE') || line.endsWith('REACHABLE ')) reachable += 1;
    }
  });
  return {
    neighFirstSeen,
    routeAdded,
    routeDeleted,
    counters: () => ({ reachable, routeDeletions }),
    stop: () => child.kill(),
  };
}

function setup(prefix: string, hosts: number): { sw: string; host: string; hostMac: string } {
  const sw = `${prefix}s`;
  const host = `${prefix}h`;
  for (const ns of [sw, host]) execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['link', 'add', `${prefix}a`, 'netns', sw, 'type', 'veth', 'peer', 'name', `${prefix}b`, 'netns', host]);
  ipBatch(sw, [`link set ${prefix}a name swp1`, 'addr add 10.80.255.254/16 dev swp1', 'link set swp1 up', 'link set lo up']);
  const addrs = Array.from({ length: hosts }, (_, i) => `addr add ${hostAddress(i)}/16 dev eth1`);
  ipBatch(host, [`link set ${prefix}b name eth1`, ...addrs, 'link set eth1 up', 'link set lo up']);
  const hostMac = execFileSync('ip', ['-n', host, '-br', 'link', 'show', 'eth1'], { encoding: 'utf8' }).trim().split(/\s+/)[2];
  return { sw, host, hostMac };
}

function startAgent(sw: string, work: string, loglevel: string): { child: ChildProcess; pid: number; log: () => string; exited: Promise<number | null> } {
  const conf = join(work, 'rdnbrd.conf');
  writeFileSync(conf, `loglevel = ${loglevel}\nkeepalive = ${KEEPALIVE_S}\nholdtime = ${HOLDTIME_S}\nroute_table = ${TABLE}\nunicast_arp_requests = True\n`);
  const child = spawn('ip', ['netns', 'exec', sw, process.execPath, AGENT, '--config', conf, '--foreground'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  if (child.pid === undefined) throw new Error(`cannot start ${AGENT}`);
  return { child, pid: child.pid, log: () => log, exited };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Neighbor entries appear at a steady pace, as a server's containers would. */
async function measureInstall(sw: string, hostMac: string, hosts: number, perSecond: number, events: SwitchEvents): Promise<Summary> {
  const batch = spawn('ip', ['-n', sw, '-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  for (let i = 0; i < hosts; i++) {
    batch.stdin.write(`neigh replace ${hostAddress(i)} dev swp1 lladdr ${hostMac} nud stale\n`);
    if (i % 10 === 9) await sleep((10 * 1000) / perSecond);
  }
  batch.stdin.end();
  await until(`${hosts} routes`, () => events.routeAdded.size >= hosts, 30_000);
  const latencies: number[] = [];
  for (let i = 0; i < hosts; i++) {
    const ip = hostAddress(i);
    latencies.push((events.routeAdded.get(ip) ?? NaN) - (events.neighFirstSeen.get(ip) ?? NaN));
  }
  return summary(latencies);
}

async function measureCpu(agentPid: number, seconds: number, events: SwitchEvents) {
  const pids = [agentPid, ...childPids(agentPid)];
  const before = pids.map(cpuSeconds);
  const counters0 = events.counters();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const after = pids.map(cpuSeconds);
  const counters1 = events.counters();
  const pct = (i: number): number => (100 * (after[i] - before[i])) / elapsed;
  const children = pids.slice(1).reduce((sum, _, k) => sum + pct(k + 1), 0);
  return {
    seconds: Math.round(elapsed * 10) / 10,
    agentPct: Math.round(pct(0) * 100) / 100,
    ipChildrenPct: Math.round(children * 100) / 100,
    totalPct: Math.round((pct(0) + children) * 100) / 100,
    confirmationsPerSecond: Math.round((counters1.reachable - counters0.reachable) / elapsed),
    routeDeletions: counters1.routeDeletions - counters0.routeDeletions,
  };
}

/** The host drops addresses at once; each /32 must go within holdtime + 1 s. */
async function measureWithdrawal(host: string, hosts: number, count: number, events: SwitchEvents): Promise<Summary> {
  const victims = Array.from({ length: count }, (_, k) => hostAddress(hosts - 1 - k));
  const t0 = performance.now();
  ipBatch(host, victims.map((a) => `addr del ${a}/16 dev eth1`));
  const deletedAfter = (a: string): number | undefined => (events.routeDeleted.get(a) ?? []).find((t) => t >= t0);
  await until(`${count} withdrawals`, () => victims.every((a) => deletedAfter(a) !== undefined), (HOLDTIME_S + 10) * 1000);
  return summary(victims.map((a) => (deletedAfter(a) ?? NaN) - t0));
}

const GC_THRESH = ['gc_thresh2', 'gc_thresh3'].map((k) => `/proc/sys/net/ipv4/neigh/default/${k}`);

/**
 * The kernel's ARP table limit is one for the whole machine, shared by every
 * namespace (gc_thresh3, 1024 by default): 1,000 hosts need it raised, as a leaf
 * with 1,000 hosts would. Only with --raise-gc-thresh, restored afterwards.
 */
function ensureNeighborRoom(hosts: number, raise: boolean): () => void {
  const current = GC_THRESH.map((f) => Number(readFileSync(f, 'utf8')));
  // first column of the first data row: entries in the machine-wide table, hex
  const inUse = parseInt(readFileSync('/proc/net/stat/arp_cache', 'utf8').split('\n')[1].split(/\s+/)[0], 16);
  const needed = inUse + hosts + 256;
  if (current[1] >= needed) return () => undefined;
  if (!raise) {
    throw new Error(`net.ipv4.neigh.default.gc_thresh3 is ${current[1]} for the whole machine; ${inUse} entries are in use and ${hosts} hosts need about ${needed}. ` +
      'Rerun with --raise-gc-thresh (restored afterwards) or with fewer --hosts.');
  }
  GC_THRESH.forEach((f, i) => writeFileSync(f, String(Math.max(current[i], needed))));
  return () => GC_THRESH.forEach((f, i) => writeFileSync(f, String(current[i])));
}

export async function runRdnbrdBench({ hosts = 1000, steady = 30, withdraw = Math.min(200, hosts), rate = 200, agentLog, raiseGcThresh = false }: RdnbrdBenchOptions = {}) {
  const restoreGcThresh = ensureNeighborRoom(hosts, raiseGcThresh);
  const prefix = `rdb${process.pid}`;
  const work = mkdtempSync(join(tmpdir(), 'rdnbrd-bench-'));
  let agent: ReturnType<typeof startAgent> | undefined;
  let events: SwitchEvents | undefined;
  try {
    const { sw, host, hostMac } = setup(prefix, hosts);
    events = watchSwitch(sw);
    const started = startAgent(sw, work, agentLog ? 'INFO' : 'WARNING');
    agent = started;
    await until('agent start', () => childPids(started.pid).length >= 2, 10_000);
    await sleep(500);
    const install = await measureInstall(sw, hostMac, hosts, rate, events);
    await sleep(2 * HOLDTIME_S * 1000); // every neighbor probed and confirmed before measuring
    const cpu = await measureCpu(started.pid, steady, events);
    const withdrawal = await measureWithdrawal(host, hosts, withdraw, events);
    const t0 = performance.now();
    started.child.kill('SIGTERM');
    const exitCode = await started.exited;
    const sigtermMs = Math.round(performance.now() - t0);
    const left = execFileSync('ip', ['-n', sw, '-4', 'route', 'show', 'table', String(TABLE), 'proto', RDNBRD_PROTO], { encoding: 'utf8' }).trim();
    return {
      hosts, keepaliveS: KEEPALIVE_S, holdtimeS: HOLDTIME_S, installRatePerS: rate,
      installMs: install,
      withdrawalMs: withdrawal,
      cpu,
      sigterm: { exitCode, ms: sigtermMs, routesLeft: left ? left.split('\n').length : 0 },
      targets: {
        installP95Ms: 100, withdrawalP95Ms: (HOLDTIME_S + 1) * 1000, cpuPct: 5,
        met: install.p95 <= 100 && withdrawal.p95 <= (HOLDTIME_S + 1) * 1000 && cpu.totalPct <= 5,
      },
      agentWarnings: started.log().split('\n').filter((l) => / (WARNING|ERROR|CRITICAL) /.test(l)).slice(0, 5),
    };
  } finally {
    if (agentLog && agent) writeFileSync(agentLog, agent.log());
    events?.stop();
    if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', `${prefix}s`]);
    spawnSync('ip', ['netns', 'del', `${prefix}h`]);
    rmSync(work, { recursive: true, force: true });
    restoreGcThresh();
  }
}

function printTable(r: Awaited<ReturnType<typeof runRdnbrdBench>>): void {
  const rows = [
    ['install latency (ms)', `p50 ${r.installMs.p50}  p95 ${r.installMs.p95}  max ${r.installMs.max}  (n=${r.installMs.n})`, '<= 100 p95'],
    ['withdrawal latency (ms)', `p50 ${r.withdrawalMs.p50}  p95 ${r.withdrawalMs.p95}  max ${r.withdrawalMs.max}  (n=${r.withdrawalMs.n})`, `<= ${(r.holdtimeS + 1) * 1000} p95`],
    [`CPU, ${r.hosts} neighbors (% core)`, `agent ${r.cpu.agentPct}  +ip ${r.cpu.ipChildrenPct}  = ${r.cpu.totalPct}  over ${r.cpu.seconds}s`, '<= 5'],
    ['confirmations / s', `${r.cpu.confirmationsPerSecond}  (route flaps: ${r.cpu.routeDeletions})`, `~${r.hosts}`],
    ['SIGTERM', `exit ${r.sigterm.exitCode} in ${r.sigterm.ms} ms, ${r.sigterm.routesLeft} routes left`, 'exit 0, 0 left'],
  ];
  const w = Math.max(...rows.map((row) => row[0].length));
  process.stdout.write(`rdnbrd bench: ${r.hosts} hosts, keepalive ${r.keepaliveS}s, holdtime ${r.holdtimeS}s\n`);
  for (const [name, value, target] of rows) process.stdout.write(`  ${name.padEnd(w)}  ${value}   [target ${target}]\n`);
  process.stdout.write(`  targets met: ${r.targets.met}\n`);
}

interface CliOptions {
  quick: boolean;
  json?: string;
  hosts?: number;
  steady?: number;
  agentLog?: string;
  raiseGcThresh?: boolean;
}

function parseCli(argv: string[]): CliOptions {
  const opts: CliOptions = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--json') opts.json = argv[++i];
    else if (a === '--hosts') opts.hosts = Number(argv[++i]);
    else if (a === '--steady') opts.steady = Number(argv[++i]);
    else if (a === '--agent-log') opts.agentLog = argv[++i];
    else if (a === '--raise-gc-thresh') opts.raiseGcThresh = true;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = parseCli(process.argv.slice(2));
  const hosts = opts.hosts ?? (opts.quick ? 120 : 1000);
  const steady = opts.steady ?? (opts.quick ? 5 : 30);
  const result = await runRdnbrdBench({ hosts, steady, withdraw: Math.min(hosts, opts.quick ? 100 : 200), agentLog: opts.agentLog, raiseGcThresh: opts.raiseGcThresh });
  printTable(result);
  if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2) + '\n');
  else process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = result.targets.met ? 0 : 1;
}
