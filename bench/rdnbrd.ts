#!/usr/bin/env node
/**
 * rdnbrd speed, against a real kernel: a switch namespace and a host namespace that
 * owns N addresses per family behind one veth. Measures, with the agent from dist/rdnbrd:
 *   - install latency: neighbor entry appears -> its /32 (/128) appears (p50/p95/max),
 *   - withdrawal latency: host stops answering -> /32 (/128) gone, over >= 100 hosts,
 *   - CPU of the agent (and of its ip children) with N neighbors at keepalive 1 s.
 * `--family dual` gives the host N IPv4 and N IPv6 addresses (the switch port proxies NDP, as
 * a leaf's server port does); `--compare` runs IPv4 only and dual stack alternately,
 * `--rounds` times, and prints them side by side.
 *
 *   node dist/bench/rdnbrd.js [--quick] [--hosts N] [--family 4|dual | --compare [--rounds R]]
 *                        [--steady SECONDS] [--json FILE] [--agent-log FILE] [--raise-gc-thresh]
 *
 * Needs root and `npm run build`. Exported as runRdnbrdBench() for the bench suite.
 * Targets (issue 4): install p95 <= 100 ms, withdrawal p95 <= holdtime + 1 s,
 * CPU <= 5 % of one core for 1,000 neighbors (so 10 % for 1,000 of each family: the cost of a
 * neighbor does not depend on its family).
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseMonitorLine, RDNBRD_PROTO, readProcStat } from 'cldemo/bench';
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

type Family = '4' | 'dual';

export interface RdnbrdBenchOptions {
  /** per family */
  hosts?: number;
  family?: Family;
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

/** The i-th host's IPv6 address, as the kernel prints it. */
function hostAddress6(i: number): string {
  return `2001:db8:80::${(i + 1).toString(16)}`;
}

/** Every host address of the run: IPv4, then (dual) IPv6. */
function addresses(hosts: number, family: Family): string[] {
  const v4 = Array.from({ length: hosts }, (_, i) => hostAddress(i));
  return family === 'dual' ? [...v4, ...Array.from({ length: hosts }, (_, i) => hostAddress6(i))] : v4;
}

const isV6 = (ip: string) => ip.includes(':');

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

/** Kernel events seen from the switch, stamped on arrival: neighbors, and the agent's routes (proto 72, /32s in table 10, /128s in main). */
function watchSwitch(ns: string): SwitchEvents {
  const child = spawn('ip', ['netns', 'exec', ns, 'ip', 'monitor', 'neigh', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const neighFirstSeen = new Map<string, number>();
  const routeAdded = new Map<string, number>();
  const routeDeleted = new Map<string, number[]>();
  let reachable = 0;
  let routeDeletions = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const now = performance.now();
    const ev = parseMonitorLine(line, ['neigh', 'route']);
    if (ev?.kind === 'route' && ev.proto === RDNBRD_PROTO) {
      if (ev.deleted) {
        routeDeletions += 1;
        routeDeleted.set(ev.ip, [...(routeDeleted.get(ev.ip) ?? []), now]);
      } else if (!routeAdded.has(ev.ip)) routeAdded.set(ev.ip, now);
    } else if (ev?.kind === 'neigh') {
      if (!ev.deleted && !neighFirstSeen.has(ev.ip)) neighFirstSeen.set(ev.ip, now);
      if (ev.state === 'REACHABLE') reachable += 1;
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

function setup(prefix: string, hosts: number, family: Family): { sw: string; host: string; hostMac: string } {
  const sw = `${prefix}s`;
  const host = `${prefix}h`;
  for (const ns of [sw, host]) execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['link', 'add', `${prefix}a`, 'netns', sw, 'type', 'veth', 'peer', 'name', `${prefix}b`, 'netns', host]);
  const v6 = family === 'dual' ? ['addr add 2001:db8:80::ffff/64 dev swp1 nodad'] : [];
  ipBatch(sw, [`link set ${prefix}a name swp1`, 'addr add 10.80.255.254/16 dev swp1', ...v6, 'link set swp1 up', 'link set lo up']);
  if (family === 'dual') {
    // as on a leaf's server port: the switch routes and proxies NDP there
    execFileSync('ip', ['netns', 'exec', sw, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.swp1.proxy_ndp=1']);
  }
  const addrs = addresses(hosts, family).map((a) => (isV6(a) ? `addr add ${a}/64 dev eth1 nodad` : `addr add ${a}/16 dev eth1`));
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
/** Neighbor entries appear at a steady pace (both families interleaved), as a server's containers would. */
async function measureInstall(sw: string, hostMac: string, all: string[], perSecond: number, events: SwitchEvents): Promise<Record<'v4' | 'v6', Summary>> {
  const batch = spawn('ip', ['-n', sw, '-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const v4 = all.filter((a) => !isV6(a));
  const v6 = all.filter(isV6);
  const order = v4.flatMap((a, i) => (v6[i] ? [a, v6[i]] : [a]));
  for (const [i, ip] of order.entries()) {
    batch.stdin.write(`neigh replace ${ip} dev swp1 lladdr ${hostMac} nud stale\n`);
    if (i % 10 === 9) await sleep((10 * 1000) / perSecond);
  }
  batch.stdin.end();
  await until(`${all.length} routes`, () => events.routeAdded.size >= all.length, 30_000);
  const latency = (ip: string) => (events.routeAdded.get(ip) ?? NaN) - (events.neighFirstSeen.get(ip) ?? NaN);
  return { v4: summary(v4.map(latency)), v6: summary(v6.map(latency)) };
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

/** The host drops `count` addresses of each family at once; each host route must go within holdtime + 1 s. */
async function measureWithdrawal(host: string, hosts: number, count: number, family: Family, events: SwitchEvents): Promise<Record<'v4' | 'v6', Summary>> {
  const pick = (f: (i: number) => string) => Array.from({ length: count }, (_, k) => f(hosts - 1 - k));
  const v4 = pick(hostAddress);
  const v6 = family === 'dual' ? pick(hostAddress6) : [];
  const t0 = performance.now();
  ipBatch(host, [...v4.map((a) => `addr del ${a}/16 dev eth1`), ...v6.map((a) => `addr del ${a}/64 dev eth1`)]);
  const deletedAfter = (a: string): number | undefined => (events.routeDeleted.get(a) ?? []).find((t) => t >= t0);
  const victims = [...v4, ...v6];
  await until(`${victims.length} withdrawals`, () => victims.every((a) => deletedAfter(a) !== undefined), (HOLDTIME_S + 10) * 1000);
  const took = (list: string[]) => summary(list.map((a) => (deletedAfter(a) ?? NaN) - t0));
  return { v4: took(v4), v6: took(v6) };
}

/** ARP's and NDP's tables each have their machine-wide limit. */
const NEIGHBOR_TABLES = [
  { files: ['gc_thresh2', 'gc_thresh3'].map((k) => `/proc/sys/net/ipv4/neigh/default/${k}`), stat: '/proc/net/stat/arp_cache', name: 'net.ipv4' },
  { files: ['gc_thresh2', 'gc_thresh3'].map((k) => `/proc/sys/net/ipv6/neigh/default/${k}`), stat: '/proc/net/stat/ndisc_cache', name: 'net.ipv6' },
];

/**
 * The kernel's ARP (and NDP) table limit is one for the whole machine, shared by every
 * namespace (gc_thresh3, 1024 by default): 1,000 hosts need it raised, as a leaf
 * with 1,000 hosts would. Only with --raise-gc-thresh, restored afterwards.
 */
function ensureNeighborRoom(hosts: number, family: Family, raise: boolean): () => void {
  const restores: Array<() => void> = [];
  for (const t of family === 'dual' ? NEIGHBOR_TABLES : NEIGHBOR_TABLES.slice(0, 1)) {
    const current = t.files.map((f) => Number(readFileSync(f, 'utf8')));
    // first column of the first data row: entries in the machine-wide table, hex
    const inUse = parseInt(readFileSync(t.stat, 'utf8').split('\n')[1].split(/\s+/)[0], 16);
    const needed = inUse + hosts + 256;
    if (current[1] >= needed) continue;
    if (!raise) {
      restores.forEach((r) => r());
      throw new Error(`${t.name}.neigh.default.gc_thresh3 is ${current[1]} for the whole machine; ${inUse} entries are in use and ${hosts} hosts need about ${needed}. ` +
        'Rerun with --raise-gc-thresh (restored afterwards) or with fewer --hosts.');
    }
    t.files.forEach((f, i) => writeFileSync(f, String(Math.max(current[i], needed))));
    restores.push(() => t.files.forEach((f, i) => writeFileSync(f, String(current[i]))));
  }
  return () => restores.forEach((r) => r());
}

export async function runRdnbrdBench(options: RdnbrdBenchOptions = {}) {
  const { hosts = 1000, family = '4', steady = 30, withdraw = Math.min(200, hosts), rate = 200, agentLog, raiseGcThresh = false } = options;
  const restoreGcThresh = ensureNeighborRoom(hosts, family, raiseGcThresh);
  const prefix = `rdb${process.pid}`;
  const work = mkdtempSync(join(tmpdir(), 'rdnbrd-bench-'));
  let agent: ReturnType<typeof startAgent> | undefined;
  let events: SwitchEvents | undefined;
  try {
    const { sw, host, hostMac } = setup(prefix, hosts, family);
    events = watchSwitch(sw);
    const started = startAgent(sw, work, agentLog ? 'INFO' : 'WARNING');
    agent = started;
    await until('agent start', () => childPids(started.pid).length >= 2, 10_000);
    await sleep(500);
    const all = addresses(hosts, family);
    const install = await measureInstall(sw, hostMac, all, rate, events);
    await sleep(2 * HOLDTIME_S * 1000); // every neighbor probed and confirmed before measuring
    const cpu = await measureCpu(started.pid, steady, events);
    const withdrawal = await measureWithdrawal(host, hosts, withdraw, family, events);
    const t0 = performance.now();
    started.child.kill('SIGTERM');
    const exitCode = await started.exited;
    const sigtermMs = Math.round(performance.now() - t0);
    const ours = (...args: string[]) => execFileSync('ip', ['-n', sw, ...args, 'proto', RDNBRD_PROTO], { encoding: 'utf8' }).trim();
    const left = [ours('-4', 'route', 'show', 'table', String(TABLE)), ours('-6', 'route', 'show', 'table', 'main'), ours('-6', 'neigh', 'show', 'proxy')].join('\n').trim();
    const withdrawalP95 = Math.max(withdrawal.v4.p95, family === 'dual' ? withdrawal.v6.p95 : 0);
    const installP95 = Math.max(install.v4.p95, family === 'dual' ? install.v6.p95 : 0);
    const cpuTarget = (5 * all.length) / 1000;
    return {
      hosts, family, neighbors: all.length, keepaliveS: KEEPALIVE_S, holdtimeS: HOLDTIME_S, installRatePerS: rate,
      installMs: install,
      withdrawalMs: withdrawal,
      cpu,
      sigterm: { exitCode, ms: sigtermMs, left: left ? left.split('\n').length : 0 },
      targets: {
        installP95Ms: 100, withdrawalP95Ms: (HOLDTIME_S + 1) * 1000, cpuPct: cpuTarget,
        met: installP95 <= 100 && withdrawalP95 <= (HOLDTIME_S + 1) * 1000 && cpu.totalPct <= cpuTarget,
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

type Result = Awaited<ReturnType<typeof runRdnbrdBench>>;

const dist = (s: Summary) => `p50 ${s.p50}  p95 ${s.p95}  max ${s.max}  (n=${s.n})`;

/** One run's rows: the figure's name, its value, its target. */
function rows(r: Result): string[][] {
  const dual = r.family === 'dual';
  return [
    ['install latency, IPv4 (ms)', dist(r.installMs.v4), '<= 100 p95'],
    ...(dual ? [['install latency, IPv6 (ms)', dist(r.installMs.v6), '<= 100 p95']] : []),
    ['withdrawal latency, IPv4 (ms)', dist(r.withdrawalMs.v4), `<= ${(r.holdtimeS + 1) * 1000} p95`],
    ...(dual ? [['withdrawal latency, IPv6 (ms)', dist(r.withdrawalMs.v6), `<= ${(r.holdtimeS + 1) * 1000} p95`]] : []),
    [`CPU, ${r.neighbors} neighbors (% core)`, `agent ${r.cpu.agentPct}  +ip ${r.cpu.ipChildrenPct}  = ${r.cpu.totalPct}  over ${r.cpu.seconds}s`, `<= ${r.targets.cpuPct}`],
    ['confirmations / s', `${r.cpu.confirmationsPerSecond}  (route flaps: ${r.cpu.routeDeletions})`, `~${r.neighbors}`],
    ['SIGTERM', `exit ${r.sigterm.exitCode} in ${r.sigterm.ms} ms, ${r.sigterm.left} routes or proxy entries left`, 'exit 0, 0 left'],
  ];
}

function printTable(r: Result): void {
  const table = rows(r);
  const w = Math.max(...table.map((row) => row[0].length));
  const what = r.family === 'dual' ? `${r.hosts} IPv4 + ${r.hosts} IPv6 hosts` : `${r.hosts} IPv4 hosts`;
  process.stdout.write(`rdnbrd bench: ${what}, keepalive ${r.keepaliveS}s, holdtime ${r.holdtimeS}s\n`);
  for (const [name, value, target] of table) process.stdout.write(`  ${name.padEnd(w)}  ${value}   [target ${target}]\n`);
  process.stdout.write(`  targets met: ${r.targets.met}\n`);
}

/** IPv4 only and dual stack side by side: the figures the dual-stack question asks for, per round and as medians. */
function printComparison(runs: Result[]): void {
  const v4 = runs.filter((r) => r.family === '4');
  const dual = runs.filter((r) => r.family === 'dual');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const col = (rs: Result[], f: (r: Result) => number) => `${median(rs.map(f))}  (${rs.map(f).join(', ')})`;
  const lines: Array<[string, string, string]> = [
    ['CPU, steady (% core)', col(v4, (r) => r.cpu.totalPct), col(dual, (r) => r.cpu.totalPct)],
    ['withdrawal p95, IPv4 (ms)', col(v4, (r) => r.withdrawalMs.v4.p95), col(dual, (r) => r.withdrawalMs.v4.p95)],
    ['withdrawal p95, IPv6 (ms)', '-', col(dual, (r) => r.withdrawalMs.v6.p95)],
    ['install p95, IPv4 (ms)', col(v4, (r) => r.installMs.v4.p95), col(dual, (r) => r.installMs.v4.p95)],
    ['install p95, IPv6 (ms)', '-', col(dual, (r) => r.installMs.v6.p95)],
  ];
  const hosts = runs[0].hosts;
  const w = Math.max(...lines.map((l) => l[0].length));
  const w1 = Math.max(`${hosts} IPv4`.length, ...lines.map((l) => l[1].length));
  process.stdout.write(`\nside by side, median (each round), ${v4.length} rounds, run alternately:\n`);
  process.stdout.write(`  ${''.padEnd(w)}  ${`${hosts} IPv4`.padEnd(w1)}  ${hosts} IPv4 + ${hosts} IPv6\n`);
  for (const [name, a, b] of lines) process.stdout.write(`  ${name.padEnd(w)}  ${a.padEnd(w1)}  ${b}\n`);
}

interface CliOptions {
  quick: boolean;
  family: Family;
  compare: boolean;
  rounds: number;
  json?: string;
  hosts?: number;
  steady?: number;
  agentLog?: string;
  raiseGcThresh?: boolean;
}

function parseCli(argv: string[]): CliOptions {
  const opts: CliOptions = { quick: false, family: '4', compare: false, rounds: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--family') opts.family = familyOf(argv[++i]);
    else if (a === '--compare') opts.compare = true;
    else if (a === '--rounds') opts.rounds = Number(argv[++i]);
    else if (a === '--json') opts.json = argv[++i];
    else if (a === '--hosts') opts.hosts = Number(argv[++i]);
    else if (a === '--steady') opts.steady = Number(argv[++i]);
    else if (a === '--agent-log') opts.agentLog = argv[++i];
    else if (a === '--raise-gc-thresh') opts.raiseGcThresh = true;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

function familyOf(s: string | undefined): Family {
  if (s === '4' || s === 'dual') return s;
  throw new Error(`--family wants 4 or dual, got ${s}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = parseCli(process.argv.slice(2));
  const hosts = opts.hosts ?? (opts.quick ? 120 : 1000);
  const steady = opts.steady ?? (opts.quick ? 5 : 30);
  const base = { hosts, steady, withdraw: Math.min(hosts, opts.quick ? 100 : 200), agentLog: opts.agentLog, raiseGcThresh: opts.raiseGcThresh };
  const plan: Family[] = opts.compare ? Array.from({ length: opts.rounds }, (): Family[] => ['4', 'dual']).flat() : [opts.family];
  const results: Result[] = [];
  for (const family of plan) {
    const result = await runRdnbrdBench({ ...base, family });
    printTable(result);
    results.push(result);
  }
  if (opts.compare) printComparison(results);
  const doc = opts.compare ? results : results[0];
  if (opts.json) writeFileSync(opts.json, JSON.stringify(doc, null, 2) + '\n');
  else process.stdout.write(JSON.stringify(doc) + '\n');
  process.exitCode = results.every((r) => r.targets.met) ? 0 : 1;
}
