#!/usr/bin/env node
/**
 * Scenario 2, convergence, on a lab whose fabric is up and verified (`cldemo up`,
 * `ping-sweep`, `verify-routes` done). Each round:
 *
 *   withdrawal: `docker stop` every container at once (one `docker stop` per server, over
 *     the server's SSH connection) -> the /32 gone from the last switch. Measured from the
 *     container's `kill` event (docker stop signalling it) and from its `die` event (it has
 *     exited); the agent then needs holdtime to give up on it. Broken down per container
 *     from the agent's own `timeline` log lines (last ARP reply, withdrawal) and the switches'
 *     route monitors (the leaf's table 10, the last switch's BGP route).
 *   install: `docker start` every container -> the /32 on the last switch, with no
 *     ping-sweep and no other cldemo command: the leaf's agent asks for every address the
 *     topology expects behind its ports until it answers (expected_neighbors). Measured from
 *     the container's `start` event; split into start -> ARP entry on the leaf and ARP entry
 *     -> /32 on every switch (the agent's table-10 write and BGP).
 *
 * With `singleStops: N` (the scale scenario), N containers spread over the servers are then
 * stopped one at a time, each withdrawal waited out and the container started again: a
 * single stop on a big fabric, apart from the mass stop, which loads the machine itself.
 *
 * Dual stack (the topology has `ipv6:`): every figure about a container's /32 is also taken
 * for its /128 (learned from neighbor discovery, withdrawn by the same agent), from the same
 * stops and starts, and the two are printed side by side.
 *
 * Docker events come from each server's engine through the project's transport (one SSH
 * connection per server, ConnectionPool + conn.docker().containerEvents()); routes from
 * `ip -ts monitor` in each switch's namespace (see lib/route-watch.ts). Both carry their
 * own timestamps from the one host clock the lab nodes share.
 *
 *   node dist/bench/convergence.js -t TOPOLOGY [--rounds N] [--singles N] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConnectionPool, LABEL_TOPOLOGY, loadPlan, netnsName, type Plan } from 'cldemo/bench';
import { figure, type Figure, type FigureOptions } from './lib/measure.js';
import { RouteWatch } from './lib/route-watch.js';

interface DockerEvents {
  /** `${action} ${container name}` -> epoch ms */
  seen: Map<string, number>;
  close(): void;
}

/** Where a withdrawal's time went, one sample per container (ms; byFailed: 1 or 0). */
interface Breakdown {
  killToDie: number[];
  dieToLastReply: number[];
  lastReplyToWithdrawn: number[];
  withdrawnToLeafTable: number[];
  leafTableToAll: number[];
  byFailed: number[];
}

/** The samples of one address family (a container's /32s, or its /128s). */
interface FamilySamples {
  fromStop: number[];
  fromExit: number[];
  startToAll: number[];
  startToArp: number[];
  arpToAll: number[];
  mass: Breakdown;
  singleFromStop: number[];
  singleStartToAll: number[];
  single: Breakdown;
}

interface Samples extends FamilySamples {
  massLoad: number[];
  singleLoad: number[];
  /** CPU seconds of every leaf's agent and its ip children, since they started (the last up) */
  agentCpuS: number[];
}

type Family = 'v4' | 'v6';

/** Where each family's samples go: IPv4's in `samples` (as before dual stack), IPv6's in `samples6`. */
type PerFamily = Partial<Record<Family, FamilySamples>>;

/** A container's address of `family` (undefined: an IPv4-only topology has no /128s). */
const addressOf = (c: Plan['containers'][number], family: Family): string | undefined => (family === 'v4' ? c.ip : c.ip6);

/** Every address the fabric must hold: each container's /32 and (dual stack) /128. */
const allAddresses = (plan: Plan): string[] => plan.containers.flatMap((c) => [c.ip, ...(c.ip6 ? [c.ip6] : [])]);

/** One withdrawal as the agent logged it (epoch ms). */
interface Timeline {
  confirmed?: number;
  probed?: number;
  failed?: number;
  withdrawn: number;
}

export interface ConvergenceResult {
  topology: string;
  containers: number;
  switches: number;
  rounds: number;
  holdtime_s: number;
  error?: string;
  samples: Samples;
  /** dual stack: the same figures for the containers' /128s */
  samples6?: FamilySamples;
  figures: Figure[];
}


/**
 * What a figure below zero means, for the figures whose two events come from observers that
 * do not order them: Docker's event stream, the agent's log, the switches' route monitors.
 * Every other convergence figure cannot be negative by its definition (one observer's
 * later event, or the last switch measured against one of them).
 */
const BEFORE_START = "the fabric had it before Docker reported the start: a container's address answers once its interface is up, and Docker's start event comes after";
const BEFORE_EXIT = 'the last ARP reply came before the exit: the agent asks once a keepalive, so a container that exits between two asks answered last before it exited (the usual case)';

/** Container events of every server, keyed `${action} ${container name}` -> epoch ms. */
async function watchDockerEvents(plan: Plan, pool: ConnectionPool): Promise<DockerEvents> {
  const seen = new Map<string, number>();
  const watches = await Promise.all(
    plan.servers.map(async (server) => {
      const conn = await pool.get(server.name, server.mgmt);
      // the last event of a kind wins: one round's start must not reuse the previous round's
      return conn.docker().containerEvents({ actions: ['start', 'kill', 'die'], label: `${LABEL_TOPOLOGY}=${plan.name}` }, (ev) => seen.set(`${ev.action} ${ev.container}`, ev.at));
    }),
  );
  return { seen, close: () => watches.forEach((w) => w.close()) };
}

/** One `docker <verb> a b c ...` per server, all servers at once; names are plan-made and safe. */
async function dockerOnEveryServer(plan: Plan, pool: ConnectionPool, verb: 'stop' | 'start'): Promise<void> {
  await Promise.all(
    plan.servers.map(async (server) => {
      if (server.containers.length === 0) return;
      const conn = await pool.get(server.name, server.mgmt);
      const r = await conn.exec(`docker ${verb} ${server.containers.map((c) => c.name).join(' ')} >/dev/null`, { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`${server.name}: docker ${verb}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
    }),
  );
}

const waitFor = async (check: () => boolean, timeoutMs: number): Promise<boolean> => {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
};

/** The agent's `timeline` line (README, "The agent's log"). */
const TIMELINE = /^\S+ rdnbrd\[\d+\] INFO timeline (\S+) dev \S+: learned \S+ confirmed (\S+) probed (\S+) failed (\S+) withdrawn (\S+)$/;

/** The leaves' timeline lines (every leaf, or only `leaves`): ip -> its last withdrawal at or after `sinceMs`. */
async function agentTimelines(plan: Plan, pool: ConnectionPool, sinceMs: number, leaves?: string[]): Promise<Map<string, Timeline>> {
  const found = new Map<string, Timeline>();
  const ms = (iso: string) => (iso === '-' ? undefined : Date.parse(iso));
  await Promise.all(
    plan.switches.filter((sw) => sw.role === 'leaf' && (!leaves || leaves.includes(sw.name))).map(async (leaf) => {
      const conn = await pool.get(leaf.name, leaf.mgmt);
      const r = await conn.exec("grep ' INFO timeline ' /var/log/rdnbrd.log | tail -n 20000", { timeoutMs: 60_000 });
      for (const line of r.stdout.split('\n')) {
        const m = TIMELINE.exec(line);
        const withdrawn = m ? ms(m[5]) : undefined;
        if (!m || withdrawn === undefined || withdrawn < sinceMs) continue;
        found.set(m[1], { confirmed: ms(m[2]), probed: ms(m[3]), failed: ms(m[4]), withdrawn });
      }
    }),
  );
  return found;
}

/**
 * What the agents cost: CPU seconds of each leaf's agent (its pidfile) and its children (ip
 * monitor, ip -batch), summed over the leaves. Lab nodes share the host's PID space.
 */
async function agentsCpuSeconds(plan: Plan, pool: ConnectionPool): Promise<number> {
  const perLeaf = await Promise.all(
    plan.switches.filter((sw) => sw.role === 'leaf').map(async (leaf) => {
      const conn = await pool.get(leaf.name, leaf.mgmt);
      // utime + stime in clock ticks (100 a second on Linux); comm is "node" or "ip", no spaces
      const r = await conn.exec('pid=$(cat /run/rdnbrd.pid) && for p in "$pid" $(pgrep -P "$pid"); do awk \'{ print ($14 + $15) / 100 }\' "/proc/$p/stat"; done', { timeoutMs: 30_000 });
      return r.stdout.split('\n').map(Number).filter(Number.isFinite).reduce((a, x) => a + x, 0);
    }),
  );
  return perLeaf.reduce((a, x) => a + x, 0);
}

const emptyBreakdown = (): Breakdown => ({ killToDie: [], dieToLastReply: [], lastReplyToWithdrawn: [], withdrawnToLeafTable: [], leafTableToAll: [], byFailed: [] });

/** Where the time between docker stop and the last switch went, for `containers`' addresses of `family`. */
function breakdown(watch: RouteWatch, events: DockerEvents, timelines: Map<string, Timeline>, containers: Plan['containers'], family: Family, into: Breakdown): void {
  for (const c of containers) {
    const ip = addressOf(c, family);
    if (!ip) continue;
    const kill = events.seen.get(`kill ${c.name}`);
    const die = events.seen.get(`die ${c.name}`);
    const t = timelines.get(ip);
    const leaf = watch.on(c.leaf, ip);
    const gone = watch.everywhereSince(ip, false);
    if (kill === undefined || die === undefined || !t || t.confirmed === undefined || !leaf || leaf.present || gone === undefined) continue;
    into.killToDie.push(die - kill);
    into.dieToLastReply.push(t.confirmed - die);
    into.lastReplyToWithdrawn.push(t.withdrawn - t.confirmed);
    into.withdrawnToLeafTable.push(leaf.since - t.withdrawn);
    into.leafTableToAll.push(gone - leaf.since);
    into.byFailed.push(t.failed !== undefined && t.failed === t.withdrawn ? 1 : 0);
  }
}

async function withdrawalRound(plan: Plan, pool: ConnectionPool, watch: RouteWatch, events: DockerEvents, ips: string[], samples: Samples, per: PerFamily): Promise<void> {
  watch.assume(ips, true);
  const holdMs = plan.redistributeNeighbor.holdtime * 1000;
  const since = Date.now();
  // each container's own kill and die of this round: a previous round's would pass for them
  for (const c of plan.containers) for (const action of ['kill', 'die']) events.seen.delete(`${action} ${c.name}`);
  await dockerOnEveryServer(plan, pool, 'stop');
  const dead = await waitFor(() => plan.containers.every((c) => events.seen.has(`die ${c.name}`)), 30_000);
  if (!dead) throw new Error('not every container reported its die event within 30 s of docker stop');
  if (!(await watch.waitEverywhere(ips, false, holdMs + 30_000))) {
    throw new Error(`/32s still present ${holdMs / 1000 + 30} s after docker stop: ${watch.lagging(ips, false).slice(0, 5).join('; ')}`);
  }
  samples.massLoad.push(loadavg()[0]);
  const timelines = await agentTimelines(plan, pool, since);
  for (const [family, into] of Object.entries(per) as Array<[Family, FamilySamples]>) {
    for (const c of plan.containers) {
      const ip = addressOf(c, family);
      if (!ip) continue;
      const gone = watch.everywhereSince(ip, false) ?? NaN;
      into.fromStop.push(gone - (events.seen.get(`kill ${c.name}`) ?? NaN));
      into.fromExit.push(gone - (events.seen.get(`die ${c.name}`) ?? NaN));
    }
    breakdown(watch, events, timelines, plan.containers, family, into.mass);
  }
}

async function installRound(plan: Plan, pool: ConnectionPool, watch: RouteWatch, events: DockerEvents, ips: string[], per: PerFamily): Promise<void> {
  watch.assume(ips, false);
  for (const c of plan.containers) events.seen.delete(`start ${c.name}`);
  await dockerOnEveryServer(plan, pool, 'start');
  if (!(await watch.waitEverywhere(ips, true, 60_000))) {
    throw new Error(`/32s missing 60 s after docker start, with no ping-sweep: ${watch.lagging(ips, true).slice(0, 5).join('; ')}`);
  }
  await waitFor(() => plan.containers.every((c) => events.seen.has(`start ${c.name}`)), 10_000);
  for (const [family, into] of Object.entries(per) as Array<[Family, FamilySamples]>) {
    for (const c of plan.containers) {
      const ip = addressOf(c, family);
      if (!ip) continue;
      const started = events.seen.get(`start ${c.name}`);
      const everywhere = watch.everywhereSince(ip, true) ?? NaN;
      const arp = watch.arpSince.get(ip);
      if (started === undefined || arp === undefined) throw new Error(`${c.name}: no ${started === undefined ? 'start event' : `neighbor entry for ${ip} on its leaf`} seen`);
      into.startToAll.push(everywhere - started);
      into.startToArp.push(arp - started);
      into.arpToAll.push(everywhere - arp);
    }
  }
}

/** `count` containers spread over the servers, each stopped alone, waited out and started again. */
async function singleStops(plan: Plan, pool: ConnectionPool, watch: RouteWatch, events: DockerEvents, count: number, samples: Samples, per: PerFamily): Promise<void> {
  const holdMs = plan.redistributeNeighbor.holdtime * 1000;
  const step = Math.max(1, Math.floor(plan.containers.length / count));
  const victims = plan.containers.filter((_, i) => i % step === 0).slice(0, count);
  for (const c of victims) {
    const server = plan.servers.find((s) => s.name === c.server)!;
    const conn = await pool.get(server.name, server.mgmt);
    const ips = [c.ip, ...(c.ip6 ? [c.ip6] : [])];
    const since = Date.now();
    const stop = await conn.exec(`docker stop ${c.name} >/dev/null`, { timeoutMs: 60_000 });
    if (stop.code !== 0) throw new Error(`${c.server}: docker stop ${c.name}: ${stop.stderr.trim()}`);
    if (!(await watch.waitEverywhere(ips, false, holdMs + 30_000))) throw new Error(`${ips.join(' ')} still present after a single docker stop: ${watch.lagging(ips, false).join('; ')}`);
    await waitFor(() => (events.seen.get(`die ${c.name}`) ?? 0) >= since, 10_000);
    samples.singleLoad.push(loadavg()[0]);
    const timelines = await agentTimelines(plan, pool, since, [c.leaf]); // only its leaf withdrew it
    for (const [family, into] of Object.entries(per) as Array<[Family, FamilySamples]>) {
      const ip = addressOf(c, family);
      if (!ip) continue;
      into.singleFromStop.push((watch.everywhereSince(ip, false) ?? NaN) - (events.seen.get(`kill ${c.name}`) ?? NaN));
      breakdown(watch, events, timelines, [c], family, into.single);
    }
    events.seen.delete(`start ${c.name}`);
    const start = await conn.exec(`docker start ${c.name} >/dev/null`, { timeoutMs: 60_000 });
    if (start.code !== 0) throw new Error(`${c.server}: docker start ${c.name}: ${start.stderr.trim()}`);
    if (!(await watch.waitEverywhere(ips, true, 30_000))) throw new Error(`${ips.join(' ')} not back 30 s after a single docker start: ${watch.lagging(ips, true).join('; ')}`);
    await waitFor(() => events.seen.has(`start ${c.name}`), 10_000);
    for (const [family, into] of Object.entries(per) as Array<[Family, FamilySamples]>) {
      const ip = addressOf(c, family);
      if (ip) into.singleStartToAll.push((watch.everywhereSince(ip, true) ?? NaN) - (events.seen.get(`start ${c.name}`) ?? NaN));
    }
  }
}

/**
 * Runs `rounds` stop/start rounds on the running fabric and leaves every container running
 * with its /32s back. Returns the raw samples (ms) and the figures.
 */
export interface ConvergenceOptions {
  topology: string;
  rounds?: number;
  /** containers then stopped (and started) one at a time */
  singleStops?: number;
  idPrefix?: string;
  label?: string;
  /** installFromStart: p95 of start -> /32 everywhere; withdrawFromExit: p95 of each container's own die -> /32 gone everywhere */
  targets?: { installFromStart?: number; withdrawFromExit?: number };
}

export async function runConvergence({ topology, rounds = 3, singleStops: singles = 0, idPrefix = 'convergence', label = '2 convergence', targets = {} }: ConvergenceOptions): Promise<ConvergenceResult> {
  const plan = await loadPlan(topology);
  const ips = allAddresses(plan);
  const pool = new ConnectionPool();
  const watch = new RouteWatch(plan, (sw) => netnsName(plan.name, sw));
  const samples: Samples = { ...emptyFamily(), massLoad: [], singleLoad: [], agentCpuS: [] };
  const samples6 = plan.ipv6 ? emptyFamily() : undefined;
  const per: PerFamily = { v4: samples, ...(samples6 ? { v6: samples6 } : {}) };
  let events: DockerEvents | undefined;
  let error: string | undefined;
  try {
    await watch.start();
    events = await watchDockerEvents(plan, pool);
    for (let r = 0; r < rounds; r++) {
      await withdrawalRound(plan, pool, watch, events, ips, samples, per);
      await installRound(plan, pool, watch, events, ips, per);
    }
    if (singles > 0) await singleStops(plan, pool, watch, events, singles, samples, per);
    samples.agentCpuS.push(await agentsCpuSeconds(plan, pool));
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    events?.close();
    watch.stop();
    await pool.closeAll();
  }
  const holdMs = plan.redistributeNeighbor.holdtime * 1000;
  const f = (id: string, name: string, xs: number[], opts?: FigureOptions): Figure => ({ ...figure(`${idPrefix}.${id}`, name, xs, { ...opts, error }), scenario: label });
  const n = plan.containers.length;
  const shared = { singles, n, holdMs, installTarget: targets.installFromStart, exitTarget: targets.withdrawFromExit };
  const figures = familyFigures(f, 'v4', samples, shared);
  figures.splice(figures.findIndex((x) => x.id.endsWith('.install_from_start')), 0, f('withdraw_load', '  load average (1 min) when the last /32 left', samples.massLoad, { unit: 'load' }));
  if (singles > 0) figures.splice(figures.findIndex((x) => x.id.endsWith('.single_install_from_start')), 0, f('single_load', '  load average (1 min) during the single stops', samples.singleLoad, { unit: 'load' }));
  // dual stack: the /128s' figures, under ids of their own (`...v6.<id>`)
  if (samples6) figures.push(...familyFigures((id, name, xs, opts) => f(`v6.${id}`, name, xs, opts), 'v6', samples6, shared));
  figures.push(f('agent_cpu', 'rdnbrd CPU, every leaf (agent + ip children, since up)', samples.agentCpuS, { unit: 's' }));
  return {
    topology: plan.name,
    containers: n,
    switches: plan.switches.length,
    rounds,
    holdtime_s: plan.redistributeNeighbor.holdtime,
    ...(error ? { error } : {}),
    samples,
    ...(samples6 ? { samples6 } : {}),
    figures,
  };
}

const emptyFamily = (): FamilySamples => ({
  fromStop: [], fromExit: [], startToAll: [], startToArp: [], arpToAll: [], mass: emptyBreakdown(), singleFromStop: [], singleStartToAll: [], single: emptyBreakdown(),
});

/** One family's figures: /32 and ARP for IPv4, /128 and NDP for IPv6; the same targets. */
function familyFigures(f: FigureOf, family: Family, s: FamilySamples, o: { singles: number; n: number; holdMs: number; installTarget?: number; exitTarget?: number }): Figure[] {
  const [route, entry] = family === 'v4' ? ['/32', 'ARP'] : ['/128', 'NDP'];
  const words = (text: string) => text.replaceAll('/32', route).replaceAll('ARP', entry);
  const g: FigureOf = (id, name, xs, opts) => f(id, words(name), xs, opts);
  const mass = o.singles > 0 ? ` (all ${o.n} at once)` : '';
  const figures = [
    // with single stops measured, the target is theirs; the mass stop is reported with its parts, its target (if any) on the exit
    g('withdraw_from_stop', `docker stop -> /32 gone from every switch${mass}`, s.fromStop, o.singles > 0 || o.exitTarget !== undefined ? {} : { target: o.holdMs + 1000 }),
    g('withdraw_from_exit', `container exit -> /32 gone from every switch${mass}`, s.fromExit, { target: o.exitTarget }),
    ...breakdownFigures(g, 'withdraw', s.mass),
    g('install_from_start', 'container start -> /32 on every switch (no ping-sweep; < 0: before Docker said start)', s.startToAll, { target: o.installTarget, signed: BEFORE_START }),
    g('install_start_to_arp', '  start -> ARP entry on its leaf (the agent asks; < 0: before Docker said start)', s.startToArp, { signed: BEFORE_START }),
    g('install_arp_to_all', '  ARP entry -> /32 on every switch (agent + BGP)', s.arpToAll),
  ];
  if (o.singles > 0) {
    figures.push(
      g('single_withdraw_from_stop', 'docker stop of one container -> /32 gone from every switch', s.singleFromStop, { target: o.holdMs + 1000 }),
      ...breakdownFigures(g, 'single_withdraw', s.single),
      g('single_install_from_start', 'docker start of one container -> /32 on every switch (< 0: before Docker said start)', s.singleStartToAll, { signed: BEFORE_START }),
    );
  }
  return figures;
}

type FigureOf = (id: string, name: string, xs: number[], opts?: FigureOptions) => Figure;

/** Each figure on a line, and (dual stack) its /128 twin beside it: `median / p95 (n)` per family. */
function printSideBySide(figures: Figure[]): void {
  const cell = (fig?: Figure) => (fig ? `${fig.median ?? fig.value} / ${fig.p95 ?? '-'} ${fig.unit} (n=${fig.n})${fig.met === false ? ' MISSED' : ''}` : '');
  const twin = new Map(figures.filter((x) => x.id.includes('.v6.')).map((x) => [x.id.replace('.v6.', '.'), x]));
  const dual = twin.size > 0;
  const rows = figures.filter((x) => !x.id.includes('.v6.'));
  const w = Math.max(...rows.map((x) => x.name.length));
  const w1 = Math.max(...rows.map((x) => cell(x).length), 14);
  console.log(`${''.padEnd(w)}  ${(dual ? 'IPv4 (/32)' : 'median / p95').padEnd(w1)}  ${dual ? 'IPv6 (/128)' : ''}`.trimEnd());
  for (const fig of rows) console.log(`${fig.name.padEnd(w)}  ${cell(fig).padEnd(w1)}  ${cell(twin.get(fig.id))}`.trimEnd());
}

/** A withdrawal's parts; a container without a timeline line has none, so n may be smaller. */
function breakdownFigures(f: FigureOf, id: string, b: Breakdown): Figure[] {
  const share = b.byFailed.length > 0 ? [b.byFailed.reduce((a, x) => a + x, 0) / b.byFailed.length] : [];
  return [
    f(`${id}_kill_to_die`, '  kill -> exit (the container stopping)', b.killToDie),
    f(`${id}_die_to_last_reply`, '  exit -> last ARP reply the agent saw (< 0: it answered last before it exited)', b.dieToLastReply, { signed: BEFORE_EXIT }),
    f(`${id}_reply_to_withdrawn`, '  last ARP reply -> agent withdraws (holdtime or FAILED)', b.lastReplyToWithdrawn),
    f(`${id}_withdrawn_to_leaf`, '  agent withdraws -> /32 gone from the leaf (ip -batch)', b.withdrawnToLeafTable),
    f(`${id}_leaf_to_all`, '  leaf -> /32 gone from every switch (zebra + BGP)', b.leafTableToAll),
    f(`${id}_by_failed`, '  share withdrawn on a kernel FAILED rather than holdtime', share, { unit: 'ratio' }),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { topology: { type: 'string', short: 't' }, rounds: { type: 'string', default: '3' }, singles: { type: 'string', default: '0' }, json: { type: 'string' } } });
  if (!values.topology) throw new Error('usage: node dist/bench/convergence.js -t TOPOLOGY [--rounds N] [--singles N] [--json FILE]');
  const result = await runConvergence({ topology: values.topology, rounds: Number(values.rounds), singleStops: Number(values.singles) });
  printSideBySide(result.figures);
  if (result.error) console.error(`convergence: ${result.error}`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.error ? 1 : 0;
}
