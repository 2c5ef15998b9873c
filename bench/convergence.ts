#!/usr/bin/env node
/**
 * Scenario 2, convergence, on a lab whose fabric is up and verified (`cldemo up`,
 * `ping-sweep`, `verify-routes` done). Each round:
 *
 *   withdrawal: `docker stop` every container at once (one `docker stop` per server, over
 *     the server's SSH connection) -> the /32 gone from the last switch. Measured from the
 *     container's `kill` event (docker stop signalling it) and from its `die` event (it has
 *     exited and stopped answering ARP); the agent then needs holdtime to give up on it.
 *   install: `docker start` every container -> `cldemo ping-sweep` spawned the moment the
 *     starts return -> the /32 on the last switch. Measured from the container's `start`
 *     event, so the figure includes the rest of the starts, the ping-sweep process (Apache
 *     sends no gratuitous ARP: the leaf learns a container only when it talks to it), the
 *     agent's table-10 write, and BGP to every leaf and spine. Split into start -> ARP entry
 *     on the leaf and ARP entry -> /32 on every switch (the fabric's own part).
 *
 * Docker events come from each server's engine through the project's transport (one SSH
 * connection per server, ConnectionPool + conn.docker().getEvents()); routes from
 * `ip -ts monitor` in each switch's namespace (see lib/route-watch.js). Both carry their
 * own timestamps from the one host clock the lab nodes share.
 *
 *   node bench/convergence.js -t TOPOLOGY [--rounds N] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConnectionPool, loadPlan, netnsName, type Plan } from 'cldemo/bench';
import { cldemo, figure, type Figure, type FigureOptions } from './lib/measure.js';
import { RouteWatch } from './lib/route-watch.js';

interface DockerEvents {
  /** `${action} ${container name}` -> epoch ms */
  seen: Map<string, number>;
  close(): void;
}

interface Samples {
  fromStop: number[];
  fromExit: number[];
  startToAll: number[];
  startToArp: number[];
  arpToAll: number[];
  pingSweepMs: number[];
}

export interface ConvergenceResult {
  topology: string;
  containers: number;
  switches: number;
  rounds: number;
  holdtime_s: number;
  error?: string;
  samples: Samples;
  figures: Figure[];
}

const LABEL_TOPOLOGY = 'cldemo.topology';

/** Container events of every server, keyed `${action} ${container name}` -> epoch ms. */
async function watchDockerEvents(plan: Plan, pool: ConnectionPool): Promise<DockerEvents> {
  const seen = new Map<string, number>();
  const streams = await Promise.all(
    plan.servers.map(async (server) => {
      const conn = await pool.get(server.name, server.mgmt);
      const stream = await conn.docker().getEvents({ filters: { type: ['container'], event: ['start', 'kill', 'die'], label: [`${LABEL_TOPOLOGY}=${plan.name}`] } });
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines.filter(Boolean)) {
          const ev = JSON.parse(line) as { Action: string; timeNano: number; Actor?: { Attributes?: { name?: string } } };
          const name = ev.Actor?.Attributes?.name;
          // the last event of a kind wins: one round's start must not reuse the previous round's
          if (name) seen.set(`${ev.Action} ${name}`, Number(BigInt(ev.timeNano) / 1000n) / 1000);
        }
      });
      return stream as Readable;
    }),
  );
  return { seen, close: () => streams.forEach((s) => s.destroy()) };
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

async function withdrawalRound(plan: Plan, pool: ConnectionPool, watch: RouteWatch, events: DockerEvents, ips: string[], samples: Samples): Promise<void> {
  watch.assume(ips, true);
  const holdMs = plan.redistributeNeighbor.holdtime * 1000;
  await dockerOnEveryServer(plan, pool, 'stop');
  const dead = await waitFor(() => plan.containers.every((c) => events.seen.has(`die ${c.name}`)), 30_000);
  if (!dead) throw new Error('not every container reported its die event within 30 s of docker stop');
  if (!(await watch.waitEverywhere(ips, false, holdMs + 30_000))) {
    throw new Error(`/32s still present ${holdMs / 1000 + 30} s after docker stop: ${watch.lagging(ips, false).slice(0, 5).join('; ')}`);
  }
  for (const c of plan.containers) {
    const gone = watch.everywhereSince(c.ip, false) ?? NaN;
    samples.fromStop.push(gone - (events.seen.get(`kill ${c.name}`) ?? NaN));
    samples.fromExit.push(gone - (events.seen.get(`die ${c.name}`) ?? NaN));
  }
}

async function installRound(plan: Plan, pool: ConnectionPool, watch: RouteWatch, events: DockerEvents, ips: string[], topology: string, samples: Samples): Promise<void> {
  watch.assume(ips, false);
  for (const c of plan.containers) events.seen.delete(`start ${c.name}`);
  await dockerOnEveryServer(plan, pool, 'start');
  const sweep = await cldemo(['ping-sweep'], { topology, timeoutMs: 120_000 });
  if (!sweep.ok) throw new Error(`ping-sweep after the starts failed: ${sweep.error}`);
  if (!(await watch.waitEverywhere(ips, true, 60_000))) {
    throw new Error(`/32s missing 60 s after ping-sweep: ${watch.lagging(ips, true).slice(0, 5).join('; ')}`);
  }
  await waitFor(() => plan.containers.every((c) => events.seen.has(`start ${c.name}`)), 10_000);
  for (const c of plan.containers) {
    const started = events.seen.get(`start ${c.name}`);
    const everywhere = watch.everywhereSince(c.ip, true) ?? NaN;
    const arp = watch.arpSince.get(c.ip);
    if (started === undefined || arp === undefined) throw new Error(`${c.name}: no ${started === undefined ? 'start event' : 'ARP entry on its leaf'} seen`);
    samples.startToAll.push(everywhere - started);
    samples.startToArp.push(arp - started);
    samples.arpToAll.push(everywhere - arp);
  }
  samples.pingSweepMs.push(sweep.ms);
}

/**
 * Runs `rounds` stop/start rounds on the running fabric and leaves every container running
 * with its /32s back. Returns the raw samples (ms) and the figures.
 */
export async function runConvergence({ topology, rounds = 3, idPrefix = 'convergence', label = '2 convergence' }: { topology: string; rounds?: number; idPrefix?: string; label?: string }): Promise<ConvergenceResult> {
  const plan = await loadPlan(topology);
  const ips = plan.containers.map((c) => c.ip);
  const pool = new ConnectionPool();
  const watch = new RouteWatch(plan, (sw) => netnsName(plan.name, sw));
  const samples: Samples = { fromStop: [], fromExit: [], startToAll: [], startToArp: [], arpToAll: [], pingSweepMs: [] };
  let events: DockerEvents | undefined;
  let error: string | undefined;
  try {
    await watch.start();
    events = await watchDockerEvents(plan, pool);
    for (let r = 0; r < rounds; r++) {
      await withdrawalRound(plan, pool, watch, events, ips, samples);
      await installRound(plan, pool, watch, events, ips, topology, samples);
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    events?.close();
    watch.stop();
    await pool.closeAll();
  }
  const holdMs = plan.redistributeNeighbor.holdtime * 1000;
  const f = (id: string, name: string, xs: number[], opts?: FigureOptions): Figure => ({ ...figure(`${idPrefix}.${id}`, name, xs, { ...opts, error }), scenario: label });
  return {
    topology: plan.name,
    containers: plan.containers.length,
    switches: plan.switches.length,
    rounds,
    holdtime_s: plan.redistributeNeighbor.holdtime,
    ...(error ? { error } : {}),
    samples,
    figures: [
      f('withdraw_from_stop', 'docker stop -> /32 gone from every switch', samples.fromStop, { target: holdMs + 1000 }),
      f('withdraw_from_exit', 'container exit -> /32 gone from every switch', samples.fromExit),
      f('install_from_start', 'container start -> /32 on every switch (incl. ping-sweep)', samples.startToAll),
      f('install_start_to_arp', '  start -> ARP entry on its leaf (ping-sweep)', samples.startToArp),
      f('install_arp_to_all', '  ARP entry -> /32 on every switch (agent + BGP)', samples.arpToAll),
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { topology: { type: 'string', short: 't' }, rounds: { type: 'string', default: '3' }, json: { type: 'string' } } });
  if (!values.topology) throw new Error('usage: node bench/convergence.js -t TOPOLOGY [--rounds N] [--json FILE]');
  const result = await runConvergence({ topology: values.topology, rounds: Number(values.rounds) });
  for (const fig of result.figures) console.log(`${fig.name.padEnd(62)} median ${fig.median ?? fig.value} ms  p95 ${fig.p95 ?? '-'} ms  (n=${fig.n})`);
  if (result.error) console.error(`convergence: ${result.error}`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.error ? 1 : 0;
}
