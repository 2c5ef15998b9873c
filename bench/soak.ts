#!/usr/bin/env node
/**
 * Churn for a long time, on a lab whose fabric is up and verified (`cldemo lab up`, `cldemo up`):
 *
 *   - a container stopped or started every 2 s, at random (a stop or a start, each as likely;
 *     then a random container that can take it);
 *   - a fabric link (spine-leaf) pulled every 5 min through the fault API, plugged back after 30 s;
 *   - a leaf's agent SIGKILLed every 10 min (the platform's own `kill agent` command, as the
 *     agent-kill drill does) and started again at once, as a supervisor would;
 *   - a server's dockerd restarted every 15 min (the platform's `restart docker`, as the
 *     dockerd-restart drill does); its containers come back by their restart policy.
 *     The first leaf's agent and the first server's dockerd are left alone, so one of each
 *     lives the whole run and its memory and descriptors can be compared first to last;
 *   - a stray host route put into a leaf's agent table every 10 min (an address no container
 *     has, or another rack's container, by turns).
 *
 * A checker watches all the time. Its ground truth is Docker's own events (start, die) from
 * every server, resumed after a dockerd restart and reconciled with the container list, the
 * links the soak itself pulled, and the switches' route monitors (lib/route-watch.ts). It
 * counts, each once per episode:
 *   missing: a running container's /32 absent from a switch that has a BGP path to its leaf,
 *     later than holdtime + 2 s after the container's start (or the path's return);
 *   stale: a stopped container's /32 on a switch later than holdtime + 2 s after its die event
 *     (or after the switch lost its path to the leaf);
 *   stray: a host route in a leaf's agent table that none of its containers explains, there
 *     longer than holdtime + 2 s.
 * Times are the switches' and Docker's own stamps (one host clock), so a busy checker is late
 * to judge, never wrong: it judges an episode only when its deadline is `margin` behind.
 *
 * Every minute it records each leaf agent's and each server dockerd's RSS, open file
 * descriptors and CPU (the agent with its ip children), and the host's load average.
 *
 *   node dist/bench/soak.js -t TOPOLOGY [--minutes 60] [--quick] [--seed N] [--slack S] [--json FILE]
 *
 * --quick: every kind of event comes within 2 minutes (the CI variant's schedule).
 * --slack S: S seconds added to every deadline, for a machine too loaded to hold holdtime + 2 s
 * (the CI variant's; the measurement runs without).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConnectionPool, LABEL_TOPOLOGY, linkSet, loadPlan, netnsName, platformOf, startAgent, type Plan } from 'cldemo/bench';
import { cldemo } from './lib/measure.js';
import { RouteWatch } from './lib/route-watch.js';

type Server = Plan['servers'][number];

/** When each kind of event comes: every `period` ms, the first at `first` ms (kinds are staggered so they rarely coincide). */
export interface SoakSchedule {
  churnMs: number;
  linkFlap: { first: number; period: number; downMs: number };
  agentKill: { first: number; period: number };
  dockerdRestart: { first: number; period: number };
  stray: { first: number; period: number };
  sampleMs: number;
}

const MIN = 60_000;

/** The hour's: the issue's periods, staggered. */
export const HOUR_SCHEDULE: SoakSchedule = {
  churnMs: 2000,
  linkFlap: { first: 2.5 * MIN, period: 5 * MIN, downMs: 30_000 },
  agentKill: { first: 5.5 * MIN, period: 10 * MIN },
  dockerdRestart: { first: 7 * MIN, period: 15 * MIN },
  stray: { first: 4 * MIN, period: 10 * MIN },
  sampleMs: MIN,
};

/** Everything within two minutes, each kind at least once (the CI variant). */
export const QUICK_SCHEDULE: SoakSchedule = {
  churnMs: 2000,
  linkFlap: { first: 15_000, period: 60_000, downMs: 12_000 },
  agentKill: { first: 35_000, period: 60_000 },
  dockerdRestart: { first: 50_000, period: 120_000 },
  stray: { first: 25_000, period: 40_000 },
  sampleMs: 20_000,
};

export type ViolationKind = 'missing' | 'stale' | 'stray';

export interface Violation {
  kind: ViolationKind;
  /** epoch ms: when the state should have been right */
  deadline: number;
  switch: string;
  ip: string;
  container?: string;
  /** what was seen: the route's state and since when (epoch ms) */
  seen: string;
  /** a stray route for the same address was in this leaf's agent table then (the violation is the stray's doing) */
  strayOn?: string;
  /** the soak's events of the 30 s before the deadline */
  recent: string[];
}

/** One process's figures at a sample. */
export interface ProcSample {
  node: string;
  pid: number;
  rssKb: number;
  fds: number;
  /** CPU seconds since it started (the agent: with its children) */
  cpuS: number;
}

export interface MinuteSample {
  /** ms since the soak began */
  at: number;
  load1: number;
  agents: ProcSample[];
  dockerds: ProcSample[];
  /** events done since the previous sample, by kind */
  events: Record<string, number>;
  violations: number;
}

export interface SoakResult {
  topology: string;
  containers: number;
  holdtimeS: number;
  graceMs: number;
  minutes: number;
  startedAt: string;
  schedule: SoakSchedule;
  /** events done, by kind (churn-stop, churn-start, link-down, link-up, agent-kill, dockerd-restart, stray) */
  events: Record<string, number>;
  /** events that could not be done (e.g. docker stop while its dockerd restarted), by kind */
  skipped: Record<string, number>;
  violations: Violation[];
  byKind: Record<ViolationKind, number>;
  samples: MinuteSample[];
  /** what the checker itself lost (a monitor died, an event stream that did not come back) */
  problems: string[];
  log: string[];
}

export interface SoakOptions {
  topology: string;
  minutes: number;
  schedule?: SoakSchedule;
  seed?: number;
  /** ms an episode's deadline must be behind before it is judged (the checker's own lag allowance) */
  marginMs?: number;
  /** ms added to the deadline (holdtime + 2 s) for a machine too loaded to hold it; 0 for the measurement */
  slackMs?: number;
  log?: (m: string) => void;
}

/** A container as Docker says it is: running or not, since when (epoch ms); unknown while its dockerd restarts. */
interface Truth {
  running: boolean;
  since: number;
  unknown: boolean;
}

/** mulberry32: a small seeded PRNG, so a run's choices can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ipInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const intIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/**
 * Which switches hold a route from `origin` (a leaf) over the fabric links that are up, as
 * BGP spreads it: each switch passes it on, and a switch refuses a path that already holds
 * its own AS (so a spine never learns one leaf's routes through another spine).
 */
export function bgpReach(plan: Plan, down: ReadonlySet<string>, origin: string): Set<string> {
  const asn = new Map(plan.switches.map((s) => [s.name, s.asn]));
  const adj = new Map<string, string[]>();
  for (const l of plan.links) {
    if (l.kind !== 'fabric' || down.has(linkKey(l))) continue;
    adj.set(l.a.node, [...(adj.get(l.a.node) ?? []), l.b.node]);
    adj.set(l.b.node, [...(adj.get(l.b.node) ?? []), l.a.node]);
  }
  const reached = new Set<string>([origin]);
  const walk = (node: string, path: Set<number>): void => {
    for (const next of adj.get(node) ?? []) {
      const a = asn.get(next)!;
      if (path.has(a) || reached.has(next)) continue;
      reached.add(next);
      walk(next, new Set([...path, a]));
    }
  };
  walk(origin, new Set([asn.get(origin)!]));
  return reached;
}

const linkKey = (l: Plan['links'][number]) => `${l.a.node}:${l.a.port}-${l.b.node}:${l.b.port}`;

export async function runSoak({ topology, minutes, schedule = HOUR_SCHEDULE, seed = Date.now() % 1e9, marginMs = 3000, slackMs = 0, log = () => undefined }: SoakOptions): Promise<SoakResult> {
  const plan = await loadPlan(topology);
  const random = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  const graceMs = plan.redistributeNeighbor.holdtime * 1000 + 2000 + slackMs;
  const pool = new ConnectionPool();
  const watch = new RouteWatch(plan, (sw) => netnsName(plan.name, sw));
  const leaves = plan.switches.filter((s) => s.role === 'leaf');
  const fabricLinks = plan.links.filter((l) => l.kind === 'fabric');
  const byName = new Map(plan.containers.map((c) => [c.name, c]));
  const truth = new Map<string, Truth>();
  const events: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  const violations: Violation[] = [];
  const samples: MinuteSample[] = [];
  const problems: string[] = [];
  const logLines: string[] = [];
  const recent: Array<{ at: number; what: string }> = [];
  const t0 = Date.now();
  const say = (m: string) => {
    const line = `${((Date.now() - t0) / 1000).toFixed(1).padStart(7)} s  ${m}`;
    logLines.push(line);
    log(line);
  };
  const did = (kind: string, what: string) => {
    events[kind] = (events[kind] ?? 0) + 1;
    recent.push({ at: Date.now(), what: `${new Date().toISOString().slice(11, 23)} ${what}` });
    while (recent.length && recent[0].at < Date.now() - 120_000) recent.shift();
    say(what);
  };
  const skip = (kind: string, why: string) => {
    skipped[kind] = (skipped[kind] ?? 0) + 1;
    say(`skipped ${kind}: ${why}`);
  };

  // --- the links the soak pulled, and where BGP can carry each leaf's routes meanwhile
  const down = new Set<string>();
  /** `${switch} ${leaf}` -> whether the switch has a path to the leaf, and since when */
  const reach = new Map<string, { yes: boolean; since: number }>();
  const updateReach = (at: number) => {
    for (const leaf of leaves) {
      const r = bgpReach(plan, down, leaf.name);
      for (const sw of plan.switches) {
        const key = `${sw.name} ${leaf.name}`;
        const yes = r.has(sw.name);
        if (reach.get(key)?.yes !== yes) reach.set(key, { yes, since: at });
      }
    }
  };
  updateReach(-Infinity);

  // --- Docker's truth, one resumable event stream per server
  const restarting = new Set<string>();
  /** server -> since when its containers' state is unknown (a dockerd restart, a lost event stream) */
  const unknownFrom = new Map<string, number>();
  const lastEvent = new Map<string, number>();
  let stopping = false;
  const followers: Array<Promise<void>> = [];
  const closers = new Set<() => void>();

  const reconcile = async (server: Server, unknownSince: number): Promise<void> => {
    const conn = await pool.get(server.name, server.mgmt);
    const list = await conn.docker().listContainers({ label: `${LABEL_TOPOLOGY}=${plan.name}` });
    const now = Date.now();
    for (const c of server.containers) {
      const found = list.find((x) => x.name === c.name);
      const t = truth.get(c.name);
      const running = found?.running ?? false;
      if (!t || t.unknown) {
        const ev = lastEvent.get(c.name);
        truth.set(c.name, { running, since: ev !== undefined && ev >= unknownSince ? ev : t ? now : -Infinity, unknown: false });
      } else if (t.running !== running) problems.push(`${c.name}: Docker lists it ${running ? 'running' : 'stopped'}, its events said otherwise`);
    }
  };

  const follow = async (server: Server): Promise<void> => {
    let since: number | undefined;
    let first = true;
    let lostAt = Date.now();
    while (!stopping) {
      let stream;
      try {
        const conn = await pool.get(server.name, server.mgmt);
        stream = await conn.docker().containerEvents({ actions: ['start', 'die'], label: `${LABEL_TOPOLOGY}=${plan.name}`, ...(since !== undefined ? { since } : {}) }, (ev) => {
          if (!byName.has(ev.container)) return;
          since = Math.max(since ?? 0, ev.at - 1);
          lastEvent.set(ev.container, ev.at);
          const t = truth.get(ev.container);
          if (t?.unknown) return; // reconcile sets it
          truth.set(ev.container, { running: ev.action === 'start', since: ev.at, unknown: false });
        });
        since ??= stream.startedAt ?? Date.now() - 1000;
      } catch {
        if (stopping) return;
        await sleep(500);
        continue;
      }
      closers.add(stream.close);
      await reconcile(server, first ? -Infinity : Math.min(lostAt, unknownFrom.get(server.name) ?? lostAt)).catch((e: unknown) => problems.push(`${server.name}: container list: ${String(e)}`));
      if (!first) say(`${server.name}: Docker events resumed`);
      unknownFrom.delete(server.name);
      first = false;
      if (!restarting.has(server.name)) for (const c of server.containers) if (truth.get(c.name)?.unknown) truth.get(c.name)!.unknown = false;
      const why = await Promise.race([stream.ended, new Promise<string>((r) => closers.add(() => r('closed')))]);
      closers.delete(stream.close);
      if (stopping) return;
      lostAt = Date.now();
      say(`${server.name}: Docker events lost (${why}); resuming`);
      for (const c of server.containers) {
        const t = truth.get(c.name);
        if (t) t.unknown = true;
      }
    }
  };

  // --- the checker
  /** episodes judged already: `${kind} ${switch} ${ip} ${since}` */
  const judged = new Set<string>();
  /** the first deadline: the state the soak found (verified, then assumed) is judged from when it was assumed */
  let baseline = Infinity;
  const strayFirst = new Map<string, number>();
  const violation = (v: Omit<Violation, 'recent'>): void => {
    const from = v.deadline - graceMs - 30_000;
    const stray = [...watch.strays].find(([key, st]) => st.present && key.endsWith(` ${v.ip}`) && v.kind !== 'stray');
    if (stray) v.seen += ` (a stray route for it is in ${stray[0].split(' ')[0]}'s agent table)`;
    violations.push({ ...v, ...(stray ? { strayOn: stray[0].split(' ')[0] } : {}), recent: recent.filter((r) => r.at >= from && r.at <= v.deadline + 5000).map((r) => r.what) });
    say(`VIOLATION ${v.kind} ${v.switch} ${v.ip}${v.container ? ` (${v.container})` : ''}: ${v.seen}`);
  };
  const check = (): void => {
    const now = Date.now();
    for (const c of plan.containers) {
      const t = truth.get(c.name);
      if (!t || t.unknown) continue;
      for (const sw of plan.switches) {
        const r = reach.get(`${sw.name} ${c.leaf}`)!;
        const expected = t.running && r.yes;
        const since = Math.max(t.since, r.since, baseline);
        const deadline = since + graceMs;
        if (now < deadline + marginMs) continue;
        const kind: ViolationKind = expected ? 'missing' : 'stale';
        const key = `${kind} ${sw.name} ${c.ip} ${since}`;
        if (judged.has(key)) continue;
        const seen = watch.on(sw.name, c.ip) ?? { present: false, since: -Infinity };
        const wrongNow = seen.present !== expected;
        const lateRight = !wrongNow && seen.since > deadline;
        if (!wrongNow && !lateRight) continue;
        // wrong only while a stray for the address was in a leaf's table (and BGP carried its removal): the stray's doing, judged as a stray
        const wrongFrom = wrongNow ? seen.since : (seen.before ?? -Infinity);
        if (watch.strayExplains(c.ip, wrongFrom, wrongNow ? now : seen.since, graceMs)) continue;
        // a change after the deadline may lead Docker's event for it (a started container answers ARP before Docker says start): give the event its time
        if (wrongNow && seen.since > deadline && now < seen.since + graceMs + marginMs) continue;
        judged.add(key);
        const at = Number.isFinite(seen.since) ? new Date(seen.since).toISOString().slice(11, 23) : 'the start';
        violation({ kind, deadline, switch: sw.name, ip: c.ip, container: c.name, seen: `${seen.present ? 'present' : 'absent'} since ${at}, expected ${expected ? 'present' : 'absent'} since ${new Date(since).toISOString().slice(11, 23)}` });
      }
    }
    for (const [key, s] of watch.strays) {
      if (s.present && !strayFirst.has(key)) strayFirst.set(key, s.since);
      const first = strayFirst.get(key);
      if (first === undefined) continue;
      const late = s.present ? now >= first + graceMs + marginMs : s.since > first + graceMs;
      if (!s.present) strayFirst.delete(key);
      if (!late || judged.has(`stray ${key} ${first}`)) continue;
      judged.add(`stray ${key} ${first}`);
      const [sw, ip] = key.split(' ');
      if (s.present) takeOut(sw, ip);
      const gone = s.present ? 'still there' : `gone at ${new Date(s.since).toISOString().slice(11, 23)}`;
      violation({ kind: 'stray', deadline: first + graceMs, switch: sw, ip, seen: `in the agent's table from ${new Date(first).toISOString().slice(11, 23)}, ${gone}` });
    }
  };

  /** A stray the agent left past its deadline is taken out by the soak, so it costs one violation, not the rest of the run. */
  const takeOut = (sw: string, ip: string): void => {
    const leaf = leaves.find((l) => l.name === sw)!;
    guarded('stray', async () => {
      const conn = await pool.get(leaf.name, leaf.mgmt);
      await conn.exec(`ip route del ${ip}/32 table ${plan.redistributeNeighbor.routeTable}`, { timeoutMs: 30_000 });
      say(`${sw}: stray ${ip}/32 taken out by the soak (the agent left it)`);
    })();
  };

  // --- the churn and the faults
  const inFlight = new Set<string>();
  const churn = async (): Promise<void> => {
    const wantStop = random() < 0.5;
    const can = (running: boolean) =>
      plan.containers.filter((c) => {
        const t = truth.get(c.name);
        return t && !t.unknown && t.running === running && !inFlight.has(c.name) && !restarting.has(c.server);
      });
    let list = can(wantStop);
    let stop = wantStop;
    if (list.length === 0) {
      list = can(!wantStop);
      stop = !wantStop;
    }
    if (list.length === 0) return skip('churn', 'no container can be stopped or started now');
    const c = pick(list);
    const server = plan.servers.find((s) => s.name === c.server)!;
    inFlight.add(c.name);
    try {
      const conn = await pool.get(server.name, server.mgmt);
      const r = await conn.exec(`docker ${stop ? 'stop -t 1' : 'start'} ${c.name} >/dev/null`, { timeoutMs: 60_000 });
      if (r.code !== 0) skip(stop ? 'churn-stop' : 'churn-start', `${c.name}: ${r.stderr.trim().split('\n').pop()}`);
      else did(stop ? 'churn-stop' : 'churn-start', `docker ${stop ? 'stop' : 'start'} ${c.name}`);
    } catch (e) {
      skip(stop ? 'churn-stop' : 'churn-start', `${c.name}: ${String(e)}`);
    } finally {
      inFlight.delete(c.name);
    }
  };

  const flap = async (): Promise<void> => {
    const l = pick(fabricLinks);
    const end = `${l.a.node}:${l.a.port}`;
    await linkSet(plan, end, 'down');
    down.add(linkKey(l));
    updateReach(Date.now());
    await Promise.all([l.a.node, l.b.node].map((n) => watch.resync(n))); // the kernel dropped the routes through the port silently
    did('link-down', `link ${end} down`);
    await sleep(schedule.linkFlap.downMs);
    await linkSet(plan, end, 'up');
    down.delete(linkKey(l));
    updateReach(Date.now());
    did('link-up', `link ${end} up`);
  };

  // the first leaf's agent and the first server's dockerd are never killed: their figures span the whole run
  const killable = leaves.length > 1 ? leaves.slice(1) : leaves;
  const restartable = plan.servers.length > 1 ? plan.servers.slice(1) : plan.servers;
  const killAgent = async (): Promise<void> => {
    const leaf = pick(killable);
    const kill = platformOf(leaf).services?.agent?.kill;
    if (!kill) return skip('agent-kill', `${leaf.name}'s platform has no agent to kill`);
    const conn = await pool.get(leaf.name, leaf.mgmt);
    const r = await conn.exec(kill, { timeoutMs: 30_000 });
    if (r.code !== 0) return skip('agent-kill', `${leaf.name}: ${r.stderr.trim()}`);
    did('agent-kill', `${leaf.name}: agent killed (SIGKILL)`);
    await startAgent(plan, leaf.name);
    did('agent-start', `${leaf.name}: agent started again`);
  };

  const restartDockerd = async (): Promise<void> => {
    const server = pick(restartable);
    const restart = platformOf(server).services?.docker?.restart;
    if (!restart) return skip('dockerd-restart', `${server.name}'s platform cannot restart docker`);
    restarting.add(server.name);
    unknownFrom.set(server.name, Date.now());
    while ([...inFlight].some((n) => byName.get(n)!.server === server.name)) await sleep(100);
    for (const c of server.containers) {
      const t = truth.get(c.name);
      if (t) t.unknown = true;
    }
    try {
      const conn = await pool.get(server.name, server.mgmt);
      did('dockerd-restart', `${server.name}: dockerd restarting`);
      const r = await conn.exec(restart, { timeoutMs: 300_000 });
      if (r.code !== 0) problems.push(`${server.name}: restart docker: exit ${r.code} ${r.stderr.trim()}`);
      say(`${server.name}: dockerd answers again`);
    } finally {
      restarting.delete(server.name);
    }
    // the event stream comes back by itself (follow) and reconciles; until it has, the containers stay unknown
  };

  const strayAddresses = freeAddresses(plan);
  let strayTurn = 0;
  /** the strays put in, taken out at the end should the agent have left them */
  const injected: Array<{ leaf: Plan['switches'][number]; ip: string }> = [];
  const injectStray = async (): Promise<void> => {
    const leaf = pick(leaves);
    const port = leaf.serverPorts[0]?.port;
    if (!port) return skip('stray', `${leaf.name} has no server port`);
    const foreign = plan.containers.filter((c) => c.leaf !== leaf.name);
    const ip = strayTurn++ % 2 === 0 || foreign.length === 0 ? pick(strayAddresses) : pick(foreign).ip;
    const proto = strayTurn % 2 === 0 ? ' proto 72' : '';
    const conn = await pool.get(leaf.name, leaf.mgmt);
    const r = await conn.exec(`ip route replace ${ip}/32 dev ${port} table ${plan.redistributeNeighbor.routeTable}${proto}`, { timeoutMs: 30_000 });
    if (r.code !== 0) return skip('stray', `${leaf.name}: ${r.stderr.trim()}`);
    injected.push({ leaf, ip });
    did('stray', `${leaf.name}: stray ${ip}/32 dev ${port} table ${plan.redistributeNeighbor.routeTable}${proto}`);
  };

  // --- resources, every minute
  let lastCounts: Record<string, number> = {};
  const sample = async (): Promise<void> => {
    const read = async (node: { name: string; mgmt: Server['mgmt'] }, pidfile: string, children: boolean): Promise<ProcSample | undefined> => {
      const conn = await pool.get(node.name, node.mgmt);
      const kids = children ? ' $(pgrep -P "$pid")' : '';
      const r = await conn.exec(
        `pid=$(cat ${pidfile}) && echo "$pid $(awk '/^VmRSS/ { print $2 }' /proc/$pid/status) $(ls /proc/$pid/fd | wc -l)" && for p in "$pid"${kids}; do awk '{ print ($14 + $15) / 100 }' "/proc/$p/stat"; done`,
        { timeoutMs: 30_000 },
      );
      const [head, ...cpu] = r.stdout.trim().split('\n');
      const [pid, rss, fds] = (head ?? '').split(' ').map(Number);
      if (r.code !== 0 || !Number.isFinite(rss)) return undefined;
      return { node: node.name, pid, rssKb: rss, fds, cpuS: cpu.map(Number).filter(Number.isFinite).reduce((a, x) => a + x, 0) };
    };
    const agents = (await Promise.all(leaves.map((l) => read(l, '/run/rdnbrd.pid', true).catch(() => undefined)))).filter((x): x is ProcSample => !!x);
    const dockerds = (await Promise.all(plan.servers.map((s) => read(s, '/var/run/docker.pid', false).catch(() => undefined)))).filter((x): x is ProcSample => !!x);
    const counts = Object.fromEntries(Object.entries(events).map(([k, v]) => [k, v - (lastCounts[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
    lastCounts = { ...events };
    samples.push({ at: Date.now() - t0, load1: loadavg()[0], agents, dockerds, events: counts, violations: violations.length });
    const rss = (xs: ProcSample[]) => xs.map((x) => `${x.node} ${(x.rssKb / 1024).toFixed(1)} MB ${x.fds} fds`).join(', ');
    say(`sample: load ${loadavg()[0].toFixed(2)}; agents: ${rss(agents)}; dockerd: ${rss(dockerds)}`);
  };

  // --- run
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  const guarded = (kind: string, work: () => Promise<void>) => () => {
    if (stopping) return;
    const p = work()
      .catch((e: unknown) => {
        problems.push(`${kind}: ${e instanceof Error ? e.message : String(e)}`);
        say(`${kind} failed: ${String(e)}`);
      })
      .finally(() => running.delete(p));
    running.add(p);
  };
  const every = (first: number, period: number, kind: string, work: () => Promise<void>) => {
    const go = guarded(kind, work);
    timers.push(
      setTimeout(() => {
        go();
        timers.push(setInterval(go, period));
      }, first),
    );
  };
  const endMs = minutes * MIN;
  let checker: NodeJS.Timeout | undefined;
  try {
    const verify = await cldemo(['verify-routes', '--wait', '120'], { topology, timeoutMs: 300_000 });
    if (!verify.ok) throw new Error(`verify-routes before the soak: exit ${verify.code}: ${verify.stderr.trim().split('\n').slice(-3).join(' ')}`);
    await watch.start();
    for (const s of plan.servers) followers.push(follow(s));
    const until = Date.now() + 60_000;
    while (truth.size < plan.containers.length && Date.now() < until) await sleep(200);
    if (truth.size < plan.containers.length) throw new Error(`Docker's container lists did not come within 60 s (${truth.size} of ${plan.containers.length} containers)`);
    const up = plan.containers.filter((c) => truth.get(c.name)!.running).map((c) => c.ip);
    watch.assume(up, true);
    watch.assume(plan.containers.filter((c) => !truth.get(c.name)!.running).map((c) => c.ip), false);
    baseline = Date.now() - graceMs;
    say(`soak: ${plan.containers.length} containers (${up.length} running), ${plan.switches.length} switches, holdtime ${plan.redistributeNeighbor.holdtime} s, ${minutes} min, seed ${seed}`);
    await sample();
    checker = setInterval(check, 250);
    // a container stopped or started every churnMs: the next waits for the last (no pile-up on a loaded machine)
    const churnLoop = guarded('churn', async () => {
      while (!stopping && Date.now() - t0 < endMs) {
        const next = Date.now() + schedule.churnMs;
        void churn();
        await sleep(Math.max(0, next - Date.now()));
      }
    });
    churnLoop();
    every(schedule.linkFlap.first, schedule.linkFlap.period, 'link-flap', flap);
    every(schedule.agentKill.first, schedule.agentKill.period, 'agent-kill', killAgent);
    every(schedule.dockerdRestart.first, schedule.dockerdRestart.period, 'dockerd-restart', restartDockerd);
    every(schedule.stray.first, schedule.stray.period, 'stray', injectStray);
    every(schedule.sampleMs, schedule.sampleMs, 'sample', sample);
    await sleep(Math.max(0, endMs - (Date.now() - t0)));
    for (const t of timers) clearTimeout(t);
    say('soak: time is up; finishing what is under way');
    while (running.size > 0 || inFlight.size > 0) await Promise.race([...running, sleep(200)]);
    // every container and every switch settle; the last episodes are judged
    const settle = Date.now() + 120_000;
    while (plan.containers.some((c) => truth.get(c.name)?.unknown) && Date.now() < settle) await sleep(200);
    const unsure = plan.containers.filter((c) => truth.get(c.name)?.unknown).map((c) => c.name);
    if (unsure.length) problems.push(`Docker's events did not come back for ${unsure.length} containers (${unsure.slice(0, 3).join(', ')}...)`);
    await sleep(graceMs + marginMs + 500);
    check();
    await sample();
  } finally {
    stopping = true;
    if (checker) clearInterval(checker);
    for (const t of timers) clearTimeout(t);
    await Promise.allSettled(running);
    await tidy().catch((e: unknown) => problems.push(`putting the lab back: ${String(e)}`));
    for (const close of [...closers]) close();
    await Promise.allSettled(followers);
    const failures = watch.lagging([], true);
    problems.push(...failures);
    watch.stop();
    await pool.closeAll();
  }
  const byKind: Record<ViolationKind, number> = { missing: 0, stale: 0, stray: 0 };

  /** The lab as the soak found it: links up, strays out, every container running. */
  async function tidy(): Promise<void> {
    for (const l of fabricLinks) if (down.has(linkKey(l))) await linkSet(plan, `${l.a.node}:${l.a.port}`, 'up');
    for (const { leaf, ip } of injected) {
      const conn = await pool.get(leaf.name, leaf.mgmt);
      await conn.exec(`ip route del ${ip}/32 table ${plan.redistributeNeighbor.routeTable} 2>/dev/null || true`, { timeoutMs: 30_000 });
    }
    await Promise.all(
      plan.servers.map(async (server) => {
        const stopped = server.containers.filter((c) => truth.get(c.name)?.running === false).map((c) => c.name);
        if (!stopped.length) return;
        const conn = await pool.get(server.name, server.mgmt);
        await conn.exec(`docker start ${stopped.join(' ')} >/dev/null`, { timeoutMs: 120_000 });
      }),
    );
  }
  for (const v of violations) byKind[v.kind] += 1;
  return {
    topology: plan.name,
    containers: plan.containers.length,
    holdtimeS: plan.redistributeNeighbor.holdtime,
    graceMs,
    minutes,
    startedAt: new Date(t0).toISOString(),
    schedule,
    events,
    skipped,
    violations,
    byKind,
    samples,
    problems,
    log: logLines,
  };
}

/** Host addresses of the subnet that nothing in the topology uses (stray routes point at them). */
function freeAddresses(plan: Plan): string[] {
  const [base, len] = plan.subnet.split('/');
  const first = ipInt(base);
  const size = 2 ** (32 - Number(len));
  const used = new Set([plan.gateway, ...plan.containers.map((c) => c.ip), ...plan.servers.map((s) => s.uplink.address)]);
  const out: string[] = [];
  for (let i = 1; i < size - 1 && out.length < 16; i++) if (!used.has(intIp(first + i))) out.push(intIp(first + i));
  return out;
}

/** The closing table: events, violations by kind, and each process's figures at the first and last sample. */
export function formatSoak(r: SoakResult): string {
  const lines: string[] = [];
  const ev = Object.entries(r.events).sort().map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(`soak ${r.topology}: ${r.containers} containers, ${r.minutes} min from ${r.startedAt}, holdtime ${r.holdtimeS} s (deadline ${r.graceMs === r.holdtimeS * 1000 + 2000 ? 'holdtime + 2 s' : `holdtime + 2 s + ${(r.graceMs - r.holdtimeS * 1000 - 2000) / 1000} s of slack`} = ${r.graceMs / 1000} s)`);
  lines.push(`events: ${ev}`);
  if (Object.keys(r.skipped).length) lines.push(`skipped: ${Object.entries(r.skipped).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`violations: missing ${r.byKind.missing}, stale ${r.byKind.stale}, stray ${r.byKind.stray} (total ${r.violations.length})`);
  const byStray = r.violations.filter((v) => v.strayOn).length;
  if (byStray) lines.push(`  of which ${byStray} missing or stale where a stray route for the same address was in a leaf's agent table`);
  const [first, last] = [r.samples[0], r.samples.at(-1)];
  if (first && last) {
    lines.push('');
    lines.push('process              first sample (pid, RSS, fds)     last sample (pid, RSS, fds)      RSS change  fds change  CPU (s, whole run)');
    const row = (kind: string, a: ProcSample[], b: ProcSample[]) => {
      for (const x of a) {
        const y = b.find((p) => p.node === x.node);
        const restarted = y && y.pid !== x.pid ? ' (restarted)' : '';
        const cell = (p?: ProcSample) => (p ? `${p.pid}, ${(p.rssKb / 1024).toFixed(1)} MB, ${p.fds}` : '-');
        const cpu = r.samples.map((s) => (kind === 'agent' ? s.agents : s.dockerds).find((p) => p.node === x.node));
        const used = cpuOver(cpu);
        lines.push(
          `${`${kind} ${x.node}`.padEnd(20)} ${cell(x).padEnd(32)} ${cell(y).padEnd(32)} ${y ? `${((y.rssKb - x.rssKb) / 1024).toFixed(1)} MB`.padStart(10) : '-'.padStart(10)}  ${y ? String(y.fds - x.fds).padStart(10) : '-'.padStart(10)}  ${used.toFixed(1)}${restarted}`,
        );
      }
    };
    row('agent', first.agents, last.agents);
    row('dockerd', first.dockerds, last.dockerds);
    const trends = [...rssTrend(r.samples, 'agents').map((t) => ({ ...t, kind: 'agent' })), ...rssTrend(r.samples, 'dockerds').map((t) => ({ ...t, kind: 'dockerd' }))];
    if (trends.length) {
      lines.push('');
      lines.push('one process, 20 samples or more  samples  RSS first -> last    median of first 10 -> last 10 samples  max       fds first -> last');
      for (const t of trends) {
        const change = t.lateMedianMb - t.earlyMedianMb;
        lines.push(
          `${`${t.kind} ${t.node} (pid ${t.pid})`.padEnd(32)} ${String(t.samples).padStart(7)}  ${`${t.firstMb.toFixed(1)} -> ${t.lastMb.toFixed(1)} MB`.padEnd(19)}  ${`${t.earlyMedianMb.toFixed(1)} -> ${t.lateMedianMb.toFixed(1)} MB (${change >= 0 ? '+' : ''}${change.toFixed(1)})`.padEnd(37)}  ${`${t.maxMb.toFixed(1)} MB`.padEnd(8)}  ${t.fdsFirst} -> ${t.fdsLast}`,
        );
      }
    }
    lines.push('');
    lines.push('minute  load1  events                                         violations  agents RSS (MB, sum)  agents fds (sum)  dockerd RSS (MB, sum)  dockerd fds (sum)');
    for (const s of r.samples) {
      const sum = (xs: ProcSample[], f: (p: ProcSample) => number) => xs.reduce((a, p) => a + f(p), 0);
      const e = Object.entries(s.events).sort().map(([k, v]) => `${k} ${v}`).join(' ');
      lines.push(
        `${(s.at / MIN).toFixed(1).padStart(6)}  ${s.load1.toFixed(2).padStart(5)}  ${e.padEnd(46)} ${String(s.violations).padStart(10)}  ${(sum(s.agents, (p) => p.rssKb) / 1024).toFixed(1).padStart(20)}  ${String(sum(s.agents, (p) => p.fds)).padStart(16)}  ${(sum(s.dockerds, (p) => p.rssKb) / 1024).toFixed(1).padStart(21)}  ${String(sum(s.dockerds, (p) => p.fds)).padStart(17)}`,
      );
    }
  }
  if (r.problems.length) lines.push('', `checker problems: ${r.problems.join('; ')}`);
  for (const v of r.violations.slice(0, 20)) lines.push(`VIOLATION ${v.kind} ${v.switch} ${v.ip}${v.container ? ` ${v.container}` : ''}: ${v.seen}`);
  return lines.join('\n');
}

/**
 * One process's memory over its life, for each node whose process lived through 20 samples or
 * more: V8's heap grows for its first minutes and then saws up and down by some MB between
 * major collections, so first-to-last says little; the median of its first ten minute samples
 * against the median of its last ten says whether it grows.
 */
export function rssTrend(samples: MinuteSample[], kind: 'agents' | 'dockerds'): Array<{ node: string; pid: number; samples: number; firstMb: number; lastMb: number; earlyMedianMb: number; lateMedianMb: number; maxMb: number; fdsFirst: number; fdsLast: number }> {
  const lives = new Map<string, ProcSample[]>();
  for (const s of samples) {
    for (const p of s[kind]) {
      const key = `${p.node} ${p.pid}`;
      lives.set(key, [...(lives.get(key) ?? []), p]);
    }
  }
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const mb = (kb: number) => kb / 1024;
  return [...lives.values()]
    .filter((life) => life.length >= 20)
    .map((life) => ({
      node: life[0].node,
      pid: life[0].pid,
      samples: life.length,
      firstMb: mb(life[0].rssKb),
      lastMb: mb(life.at(-1)!.rssKb),
      earlyMedianMb: mb(median(life.slice(0, 10).map((p) => p.rssKb))),
      lateMedianMb: mb(median(life.slice(-10).map((p) => p.rssKb))),
      maxMb: mb(Math.max(...life.map((p) => p.rssKb))),
      fdsFirst: life[0].fds,
      fdsLast: life.at(-1)!.fds,
    }));
}

/** CPU seconds one process kind on one node used over the samples (a restart starts its count again). */
function cpuOver(xs: Array<ProcSample | undefined>): number {
  let total = 0;
  let prev: ProcSample | undefined;
  for (const x of xs) {
    if (!x) continue;
    total += prev && prev.pid === x.pid ? x.cpuS - prev.cpuS : prev ? x.cpuS : 0;
    prev = x;
  }
  return total;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { topology: { type: 'string', short: 't' }, minutes: { type: 'string', default: '60' }, quick: { type: 'boolean' }, seed: { type: 'string' }, slack: { type: 'string', default: '0' }, json: { type: 'string' } } });
  if (!values.topology) throw new Error('usage: node dist/bench/soak.js -t TOPOLOGY [--minutes 60] [--quick] [--seed N] [--slack S] [--json FILE]');
  const r = await runSoak({
    topology: values.topology,
    minutes: Number(values.minutes),
    schedule: values.quick ? QUICK_SCHEDULE : HOUR_SCHEDULE,
    ...(values.seed ? { seed: Number(values.seed) } : {}),
    slackMs: Number(values.slack) * 1000,
    log: (m) => process.stderr.write(`${m}\n`),
  });
  if (values.json) writeFileSync(values.json, `${JSON.stringify(r, null, 2)}\n`);
  console.log(formatSoak(r));
  process.exitCode = r.violations.length > 0 || r.problems.length > 0 ? 1 : 0;
}
