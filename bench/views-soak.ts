#!/usr/bin/env node
/**
 * The views left running: `cldemo events --json` and `cldemo graph --serve` (its live page read
 * as a client reads it, the Server-Sent Events of /events) on a lab of their own, for MINUTES,
 * while a container is stopped and started every PERIOD seconds and nothing else happens in
 * between (quiet stretches longer than any idle timeout), one server's dockerd is restarted
 * once and one leaf's `ip monitor`s are killed once. At the end:
 *
 *   - every container `die` and `start` that the servers' dockerds logged (`docker events
 *     --since START --until END` on each server; dockerd keeps its last 256), and every one
 *     this bench caused, must have been shown, once, by both views;
 *   - each view must say `watch lost` of each node disrupted (the restarted server, the leaf
 *     whose monitors were killed), of no other node (a stream ending by itself, as a quiet
 *     Docker stream did after 120 s, is what this is here to catch), and `watch resumed` after;
 *   - each view's RSS may grow by at most 20 MB from when it started watching to the end.
 *
 * Prints the numbers, writes them as JSON with --json FILE; exit 0 when all hold, 1 when not.
 * Its lab gets its own name and management subnet (bench/lib/labs.ts: bsoak by default).
 * Needs root and `npm run build`.
 *
 *   node dist/bench/views-soak.js [--minutes 30] [--period 180] [--quick] [--lab bsoak | --name N --mgmt-subnet CIDR]
 *     [--port 18540] [--json FILE] [--keep-lab]
 *
 * --quick is --minutes 2.7 --period 140: two cycles with 129 s of quiet on one Docker stream
 * between them (longer than the 120 s that used to end it), the restart and the kill between.
 * A cycle waits until PERIOD - 11 s after the one before has finished, however late that was
 * on a loaded machine, so the quiet is never shorter; the longest quiet is measured and printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHANGES_MONITOR, loadPlan, netnsName, type Plan } from 'cldemo/bench';
import { removeLabOnSignal } from './lib/interrupt.js';
import { LABS } from './lib/labs.js';
import { cldemo, cldemoOrThrow, ROOT, sleep } from './lib/measure.js';

export interface SoakOptions {
  minutes: number;
  periodS: number;
  name: string;
  mgmtSubnet: string;
  port: number;
  keepLab?: boolean;
  log?: (line: string) => void;
}

/** A container event as both views and the servers' own logs give it. */
interface DockerSeen {
  node: string;
  container: string;
  action: string;
  /** epoch ms */
  at: number;
  /** an event the bench caused that no log has: its time is only known to lie after `at`, by this much at most (ms) */
  within?: number;
}

export interface ViewFigures {
  /** die and start events of the topology's containers it showed */
  container_events: number;
  /** of those expected, how many it showed; the rest are listed in missing */
  matched: number;
  missing: string[];
  /** the same event shown more than once */
  duplicates: string[];
  /** shown, but neither in a server's log nor caused by the bench: a container dying as its dockerd shut down (the restarted dockerd's log starts empty) */
  not_in_logs: string[];
  watch_lost: number;
  /** the nodes it said `watch lost` of */
  lost_nodes: string[];
  watch_resumed: number;
  /** nodes with a `watch lost` not followed by `watch resumed` */
  not_resumed: string[];
  /** every watch lost and resumed, as `TIME NODE ACTION: why | since` */
  watch_log: string[];
  /** every die and start it showed, as `NODE ACTION CONTAINER TIME` */
  shown: string[];
  rss_start_mib: number;
  rss_end_mib: number;
  rss_max_mib: number;
  rss_growth_mib: number;
}

export interface SoakReport {
  name: string;
  minutes: number;
  period_s: number;
  started_at: string;
  finished_at: string;
  cycles: number;
  disruptions: string[];
  /** the nodes disrupted (the restarted server, the leaf whose monitors were killed): each view must say each one lost, and resumed */
  disrupted_nodes: string[];
  /** the views' monitors found and killed on that leaf (one per view expected) */
  monitors_killed: number;
  /** the longest stretch one server's Docker stream carried nothing for the views, by the engine's clock (s) */
  quiet: { node: string; seconds: number };
  /** die and start events the servers' dockerds logged, plus those the bench caused and theirs lost */
  expected: number;
  servers_logged: number;
  bench_caused: number;
  events: ViewFigures;
  page: ViewFigures;
  ok: boolean;
  failures: string[];
}

const ACTIONS = new Set(['die', 'start']);
const RSS_LIMIT_MIB = 20;

function topologyText(o: SoakOptions): string {
  return `# views-soak: its own lab (name, management subnet)
name: ${o.name}
provider: lab
defaults: { platform: frr, mtu: 1500 }
subnet: 10.79.0.0/24
gateway: 10.79.0.1
redistribute_neighbor: { keepalive: 1, holdtime: 3, route_table: 10 }
lab: { mgmt_subnet: ${o.mgmtSubnet} }
switches:
  spine1: { role: spine, asn: 64900, loopback: 10.9.0.1 }
  leaf1:  { role: leaf,  asn: 64901, loopback: 10.9.0.11 }
  leaf2:  { role: leaf,  asn: 64902, loopback: 10.9.0.12 }
servers:
  host1:
    uplink: { interface: eth1, address: 10.79.0.201, leaf: leaf1, port: swp3 }
    containers: [10.79.0.10, 10.79.0.11]
  host2:
    uplink: { interface: eth1, address: 10.79.0.202, leaf: leaf2, port: swp3 }
    containers: [10.79.0.20, 10.79.0.21]
links:
  - [spine1:swp1, leaf1:swp1]
  - [spine1:swp2, leaf2:swp1]
`;
}

/** A cldemo view kept running; its events (JSON lines on stdout, or the page's SSE) collected. */
class View {
  readonly events: Array<Record<string, unknown>> = [];
  readonly rss: number[] = [];
  stderr = '';
  constructor(readonly name: string, readonly child: ChildProcess) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)));
  }
  sampleRss(): void {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
    if (m) this.rss.push(Number(m[1]) / 1024);
  }
  stop(): Promise<number | null> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve(this.child.exitCode);
      this.child.once('exit', (code) => resolve(code));
      this.child.kill('SIGINT');
    });
  }
}

function startView(args: string[], topology: string): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'bin', 'cldemo.js'), ...args, '-t', topology], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
}

function eventsView(topology: string): View {
  const v = new View('events --json', startView(['events', '--json'], topology));
  let rest = '';
  v.child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines.filter(Boolean)) v.events.push(JSON.parse(l) as Record<string, unknown>);
  });
  return v;
}

/** graph --serve, and a client of its /events stream (Server-Sent Events), as the page reads it. */
async function pageView(topology: string, port: number): Promise<{ view: View; close(): void }> {
  const v = new View('graph --serve', startView(['graph', '--serve', '--port', String(port)], topology));
  await until(() => /watching \d+ nodes/.test(v.stderr) || v.child.exitCode !== null, 180_000);
  if (v.child.exitCode !== null) throw new Error(`graph --serve exited ${v.child.exitCode}: ${v.stderr.trim()}`);
  const req = http.get({ host: '127.0.0.1', port, path: '/events' }, (res) => {
    let rest = '';
    res.on('data', (d: Buffer) => {
      const blocks = (rest + d.toString()).split('\n\n');
      rest = blocks.pop() ?? '';
      for (const b of blocks) {
        const data = b.split('\n').find((l) => l.startsWith('data: '));
        const msg = data ? (JSON.parse(data.slice(6)) as { kind: string; event?: Record<string, unknown> }) : undefined;
        if (msg?.kind === 'event' && msg.event) v.events.push(msg.event);
      }
    });
    res.on('end', () => v.events.push({ type: 'client', action: 'ended' }));
  });
  req.on('error', (e) => v.events.push({ type: 'client', action: 'error', error: e.message }));
  return { view: v, close: () => req.destroy() };
}

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) if (ok()) return true;
  return ok();
}

/** `sh -c SCRIPT` in a node of this lab; a failure is fatal (the bench would count events it never caused). */
async function labExec(topology: string, node: string, script: string) {
  const r = await cldemo(['lab', 'exec', '-t', topology, node, '--', 'sh', '-c', script], { json: false, timeoutMs: 120_000 });
  if (!r.ok) throw new Error(`${node}: ${script}: ${r.error}`);
  return r;
}

/** The same command line it ran with (as the faults bench does). */
function restartDockerd(topology: string, server: string) {
  return labExec(topology, server, 'pid=$(cat /var/run/docker.pid); cmd=$(tr "\\0" " " </proc/$pid/cmdline); kill $pid; while kill -0 $pid 2>/dev/null; do sleep 0.1; done; setsid -f $cmd </dev/null >>/var/log/docker.log 2>&1');
}

/**
 * Kills the `ip monitor`s the views run on `leaf` (their SSH sessions stay): found by their
 * exact command line, the one the platform's change stream runs (CHANGES_MONITOR: the agent's
 * own monitors watch other things), and by the leaf's own network namespace, so nothing else
 * is touched. One per view is expected; fewer is a failure of the bench, not of the views.
 */
function killMonitors(plan: Plan, leaf: string): number {
  const ns = statSync(`/run/netns/${netnsName(plan.name, leaf)}`).ino;
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (cmd.join(' ') !== CHANGES_MONITOR.join(' ')) continue;
      if (readlinkSync(`/proc/${pid}/ns/net`) !== `net:[${ns}]`) continue;
      process.kill(Number(pid), 'SIGTERM');
      killed += 1;
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

/** What each server's dockerd logged between `from` and `to` (epoch s): die and start of this topology's containers. */
async function serversLogged(plan: Plan, topology: string, from: number, to: number): Promise<DockerSeen[]> {
  const out: DockerSeen[] = [];
  for (const s of plan.servers) {
    const r = await labExec(topology, s.name, `docker events --since ${from} --until ${to} --filter type=container --filter label=cldemo.topology=${plan.name} --format '{{json .}}'`);
    for (const l of r.stdout.split('\n').filter(Boolean)) {
      const e = JSON.parse(l) as { Action: string; timeNano: number; Actor: { Attributes: { name: string } } };
      if (ACTIONS.has(e.Action)) out.push({ node: s.name, container: e.Actor.Attributes.name, action: e.Action, at: Math.floor(e.timeNano / 1e6) });
    }
  }
  return out;
}

const key = (e: DockerSeen) => `${e.node} ${e.action} ${e.container} ${new Date(e.at).toISOString()}`;

/** One view's numbers: what it showed against what was expected. */
function judgeView(v: View, expected: DockerSeen[], rssFrom: number): ViewFigures {
  const shown: DockerSeen[] = v.events
    .filter((e) => e.type === 'container' && ACTIONS.has(String(e.action)))
    .map((e) => ({ node: String(e.node), container: String(e.container), action: String(e.action), at: Date.parse(String(e.time)) }));
  const unused = [...shown];
  const missing: string[] = [];
  for (const x of expected) {
    // the views print the engine's time to the ms; 2 ms covers rounding
    const when = (at: number) => (x.within ? at >= x.at - 1000 && at <= x.at + x.within : Math.abs(at - x.at) <= 2);
    const i = unused.findIndex((s) => s.node === x.node && s.container === x.container && s.action === x.action && when(s.at));
    if (i < 0) missing.push(key(x));
    else unused.splice(i, 1);
  }
  const counts = new Map<string, number>();
  for (const s of shown) counts.set(key(s), (counts.get(key(s)) ?? 0) + 1);
  const watch = v.events.filter((e) => e.type === 'watch');
  const notResumed = [...new Set(watch.map((e) => String(e.node)))].filter((n) => {
    const last = watch.filter((e) => e.node === n).pop();
    return last?.action === 'lost';
  });
  const rss = v.rss.slice(rssFrom);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    container_events: shown.length,
    matched: expected.length - missing.length,
    missing,
    duplicates: [...counts].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`),
    not_in_logs: unused.map(key),
    shown: shown.map(key),
    watch_lost: watch.filter((e) => e.action === 'lost').length,
    lost_nodes: [...new Set(watch.filter((e) => e.action === 'lost').map((e) => String(e.node)))].sort(),
    watch_resumed: watch.filter((e) => e.action === 'resumed').length,
    not_resumed: notResumed,
    watch_log: watch.filter((e) => e.action !== 'started').map((e) => `${String(e.time)} ${String(e.node)} ${String(e.action)}${e.error ? `: ${String(e.error)}` : ''}${e.since ? ` (since ${String(e.since)})` : ''}`),
    rss_start_mib: r1(rss[0] ?? NaN),
    rss_end_mib: r1(rss[rss.length - 1] ?? NaN),
    rss_max_mib: r1(Math.max(...rss)),
    rss_growth_mib: r1((rss[rss.length - 1] ?? NaN) - (rss[0] ?? NaN)),
  };
}

/** The schedule: a stop/start cycle every period from 0; dockerd restart and monitor kill in the quiet between cycles. */
function schedule(o: SoakOptions): Array<{ at: number; what: 'cycle' | 'dockerd' | 'monitor' }> {
  const total = o.minutes * 60_000;
  const period = o.periodS * 1000;
  const steps: Array<{ at: number; what: 'cycle' | 'dockerd' | 'monitor' }> = [];
  for (let t = 0; t < total - 20_000; t += period) steps.push({ at: t, what: 'cycle' });
  const cycles = steps.length;
  // halfway through the run, half a period after a cycle; the monitors a third of a period later
  const mid = Math.floor(cycles / 2) * period - (cycles > 1 ? period / 2 : -Math.min(period / 2, 25_000));
  steps.push({ at: Math.max(20_000, mid), what: 'dockerd' }, { at: Math.max(25_000, mid + Math.min(period / 3, 60_000)), what: 'monitor' });
  return steps.sort((a, b) => a.at - b.at);
}

export async function runViewsSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-views-soak-'));
  const topology = join(dir, `${o.name}.yaml`);
  writeFileSync(topology, topologyText(o));
  const plan = await loadPlan(topology);
  const forget = removeLabOnSignal(topology);
  const views: View[] = [];
  let page: { view: View; close(): void } | undefined;
  try {
    log(`views-soak: lab ${o.name} (${o.mgmtSubnet}), ${o.minutes} min, a stop/start every ${o.periodS} s`);
    await cldemoOrThrow(['lab', 'down'], { topology, json: false }).catch(() => undefined);
    await cldemoOrThrow(['lab', 'up'], { topology, json: false, timeoutMs: 600_000 });
    for (const step of [['up'], ['ping-sweep'], ['verify-routes', '--wait', '60', '--no-dataplane']]) await cldemoOrThrow(step, { topology });

    const events = eventsView(topology);
    views.push(events);
    const nodes = plan.switches.length + plan.servers.length;
    if (!(await until(() => events.events.filter((e) => e.type === 'watch' && e.action === 'started').length === nodes, 180_000))) throw new Error(`events did not start watching every node: ${events.stderr}`);
    page = await pageView(topology, o.port);
    views.push(page.view);
    await sleep(5000); // settled: the status read, the first BGP polls
    return await soak(o, plan, topology, views, log);
  } finally {
    page?.close();
    for (const v of views) await v.stop();
    forget();
    if (!o.keepLab) {
      await cldemo(['down'], { topology, json: false });
      await cldemo(['lab', 'down'], { topology, json: false, timeoutMs: 300_000 });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function soak(o: SoakOptions, plan: Plan, topology: string, views: View[], log: (l: string) => void): Promise<SoakReport> {
  const started = Date.now();
  const startS = Math.floor(started / 1000) - 1;
  const rssTimer = setInterval(() => views.forEach((v) => v.sampleRss()), 10_000);
  views.forEach((v) => v.sampleRss());
  const caused: Array<{ node: string; container: string; action: string; after: number }> = [];
  const disruptions: string[] = [];
  const disrupted: string[] = [];
  const monitors = { killed: 0, expected: 0 };
  let cycles = 0;
  // a cycle late on a loaded machine must not shorten the quiet after it: the next waits for it
  const quietMs = o.periodS * 1000 - 11_000;
  let cycleDone = -Infinity;
  try {
    for (const step of schedule(o)) {
      await sleep(Math.max(0, started + step.at - Date.now(), step.what === 'cycle' ? cycleDone + quietMs - Date.now() : 0));
      const t = ((Date.now() - started) / 60_000).toFixed(1);
      if (step.what === 'cycle') {
        const c = plan.containers[cycles % plan.containers.length];
        cycles += 1;
        caused.push({ node: c.server, container: c.name, action: 'die', after: Date.now() });
        await labExec(topology, c.server, `docker stop -t 1 ${c.name} >/dev/null`);
        await sleep(10_000);
        caused.push({ node: c.server, container: c.name, action: 'start', after: Date.now() });
        await labExec(topology, c.server, `docker start ${c.name} >/dev/null`);
        cycleDone = Date.now();
        log(`  ${t} min: ${c.name} stopped and started (cycle ${cycles})`);
      } else if (step.what === 'dockerd') {
        const server = plan.servers[plan.servers.length - 1].name;
        await restartDockerd(topology, server);
        disrupted.push(server);
        disruptions.push(`${t} min: dockerd restarted on ${server}`);
        log(`  ${disruptions[disruptions.length - 1]}`);
      } else {
        const leaf = plan.switches.find((s) => s.role === 'leaf')!.name;
        const killed = killMonitors(plan, leaf);
        monitors.killed += killed;
        monitors.expected += views.length; // each view runs its own
        disrupted.push(leaf);
        disruptions.push(`${t} min: ${killed} ip monitor(s) killed on ${leaf} (\`${CHANGES_MONITOR.join(' ')}\`)`);
        log(`  ${disruptions[disruptions.length - 1]}`);
      }
    }
    await sleep(Math.max(15_000, started + o.minutes * 60_000 - Date.now()));
  } finally {
    clearInterval(rssTimer);
  }
  views.forEach((v) => v.sampleRss());
  const finished = Date.now();
  const logged = await serversLogged(plan, topology, startS, Math.ceil(finished / 1000) + 1);
  return report(o, { started, finished, servers: plan.servers.map((s) => s.name), cycles, disruptions, disrupted, monitors, caused, logged, views });
}

function report(
  o: SoakOptions,
  r: {
    started: number;
    finished: number;
    servers: string[];
    cycles: number;
    disruptions: string[];
    disrupted: string[];
    monitors: { killed: number; expected: number };
    caused: Array<{ node: string; container: string; action: string; after: number }>;
    logged: DockerSeen[];
    views: View[];
  },
): SoakReport {
  // what the bench caused is expected whether or not a log still has it (a restarted dockerd's log starts empty)
  const expected = [...r.logged];
  for (const c of r.caused) {
    const found = r.logged.some((l) => l.node === c.node && l.container === c.container && l.action === c.action && l.at >= c.after - 1000 && l.at <= c.after + 30_000);
    if (!found) expected.push({ node: c.node, container: c.container, action: c.action, at: c.after, within: 30_000 });
  }
  // RSS from the first sample once watching (the first one taken in soak())
  const [events, page] = r.views.map((v) => judgeView(v, expected, 0));
  const failures: string[] = [];
  // a kill that found nothing would leave the views nothing to report: a failure of the bench
  if (r.monitors.killed !== r.monitors.expected) {
    failures.push(`bench: killed ${r.monitors.killed} of the views' ${r.monitors.expected} switch monitors (\`${CHANGES_MONITOR.join(' ')}\` in the leaf's namespace)`);
  }
  for (const [name, f] of [['events --json', events], ['graph --serve page', page]] as const) {
    if (f.missing.length) failures.push(`${name}: ${f.missing.length} of ${expected.length} expected events not shown: ${f.missing.slice(0, 5).join('; ')}`);
    if (f.duplicates.length) failures.push(`${name}: shown more than once: ${f.duplicates.slice(0, 5).join('; ')}`);
    const unseen = [...new Set(r.disrupted)].filter((n) => !f.lost_nodes.includes(n));
    if (unseen.length) failures.push(`${name}: disrupted, never said watch lost: ${unseen.join(', ')}`);
    const unprovoked = f.lost_nodes.filter((n) => !r.disrupted.includes(n));
    if (unprovoked.length) failures.push(`${name}: said watch lost of ${unprovoked.join(', ')}, which nothing disrupted (a stream that ended by itself)`);
    if (f.not_resumed.length) failures.push(`${name}: watch lost and never resumed: ${f.not_resumed.join(', ')}`);
    if (!(f.rss_growth_mib <= RSS_LIMIT_MIB)) failures.push(`${name}: RSS grew ${f.rss_growth_mib} MiB (limit ${RSS_LIMIT_MIB})`);
  }
  return {
    name: o.name,
    minutes: o.minutes,
    period_s: o.periodS,
    started_at: new Date(r.started).toISOString(),
    finished_at: new Date().toISOString(),
    cycles: r.cycles,
    disruptions: r.disruptions,
    disrupted_nodes: [...new Set(r.disrupted)].sort(),
    monitors_killed: r.monitors.killed,
    quiet: longestQuiet(expected, r.servers, r.started, r.finished),
    expected: expected.length,
    servers_logged: r.logged.length,
    bench_caused: r.caused.length,
    events,
    page,
    ok: failures.length === 0,
    failures,
  };
}

/** The longest time one server's Docker stream had no die or start to carry, within the soak (by the engine's clock, as expected). */
function longestQuiet(expected: DockerSeen[], servers: string[], from: number, to: number): { node: string; seconds: number } {
  let best = { node: '', seconds: 0 };
  for (const node of servers) {
    const times = [from, ...expected.filter((e) => e.node === node).map((e) => e.at), to].sort((a, b) => a - b);
    for (let i = 1; i < times.length; i += 1) {
      const seconds = Math.round((times[i] - times[i - 1]) / 100) / 10;
      if (seconds > best.seconds) best = { node, seconds };
    }
  }
  return best;
}

export function formatSoak(r: SoakReport): string {
  const row = (label: string, a: unknown, b: unknown) => `${label.padEnd(44)} ${String(a).padStart(14)} ${String(b).padStart(18)}`;
  const f = (v: ViewFigures): Array<[string, unknown]> => [
    ['die/start events shown', v.container_events],
    [`of the ${r.expected} expected, shown`, v.matched],
    ['shown more than once', v.duplicates.length],
    ['shown, not expected (died with dockerd)', v.not_in_logs.length],
    ['watch lost', v.watch_lost],
    ['watch resumed', v.watch_resumed],
    ['nodes lost and not resumed', v.not_resumed.length],
    ['RSS when watching began (MiB)', v.rss_start_mib],
    ['RSS at the end (MiB)', v.rss_end_mib],
    ['RSS peak (MiB)', v.rss_max_mib],
    [`RSS growth (MiB, limit ${RSS_LIMIT_MIB})`, v.rss_growth_mib],
  ];
  const ev = f(r.events);
  const pg = f(r.page);
  return [
    `views-soak ${r.name}: ${r.minutes} min from ${r.started_at}, ${r.cycles} stop/start cycles every ${r.period_s} s`,
    ...r.disruptions.map((d) => `  ${d}`),
    `longest quiet on one Docker stream: ${r.quiet.seconds} s (${r.quiet.node})`,
    `expected: ${r.expected} die/start events (${r.servers_logged} in the servers' dockerd logs; ${r.bench_caused} caused by the bench, those before a dockerd restart no longer in its log)`,
    row('figure', 'events --json', 'graph --serve page'),
    ...ev.map(([label, a], i) => row(label, a, pg[i][1])),
    r.ok ? 'ok' : `NOT ok:\n${r.failures.map((x) => `  ${x}`).join('\n')}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      period: { type: 'string', default: '180' },
      lab: { type: 'string', default: 'bsoak' },
      name: { type: 'string' },
      'mgmt-subnet': { type: 'string' },
      port: { type: 'string', default: '18540' },
      json: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'keep-lab': { type: 'boolean', default: false },
    },
  });
  const own = LABS[values.lab as keyof typeof LABS];
  if (!own && !(values.name && values['mgmt-subnet'])) throw new Error(`--lab ${values.lab}: not in bench/lib/labs.ts (give --name and --mgmt-subnet for a lab of your own)`);
  const r = await runViewsSoak({
    minutes: values.quick ? 2.7 : Number(values.minutes),
    periodS: values.quick ? 140 : Number(values.period),
    name: values.name ?? own.name,
    mgmtSubnet: values['mgmt-subnet'] ?? own.mgmtSubnet,
    port: Number(values.port),
    keepLab: values['keep-lab'],
  });
  process.stdout.write(`${formatSoak(r)}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(r, null, 2)}\n`);
  process.exitCode = r.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`views-soak: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
