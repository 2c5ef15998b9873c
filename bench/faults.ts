#!/usr/bin/env node
/**
 * Scenario 7, fabric faults, on a lab whose fabric is up and verified. A steady probe (ping,
 * 10 per second, from the first leaf's loopback to a container in the last rack) runs through
 * each round; every switch's routes are watched (`ip -ts monitor`, lib/route-watch). Per fault
 * and round:
 *
 *   loss window   first probe lost -> first probe answered again (0 when none was lost),
 *                 for the fault and, where it has one, for its repair
 *   to green      from the repair to `cldemo verify-routes --wait` passing (a new CLI process:
 *                 includes its start, ~0.4 s)
 *
 * Faults: a spine's link to the last leaf down / up; the whole spine's FRR stopped / started;
 * FRR restarted on the last leaf (its table-10 routes must come back without a ping-sweep);
 * the agent SIGKILLed on the last leaf (routes stay; `up` restarts it); dockerd restarted on
 * the last server (its containers come back by their restart policy); the last server's
 * uplink down / up (its /32s withdrawn within holdtime + 1 s, relearned after).
 *
 *   node dist/bench/faults.js -t TOPOLOGY [--rounds N] [--json FILE]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConnectionPool, loadPlan, netnsName } from 'cldemo/bench';
import { cldemo, figure, percentile, sleep, type Figure } from './lib/measure.js';
import { RouteWatch } from './lib/route-watch.js';

const PROBE_INTERVAL_MS = 100;
const SPINE_TARGET_MS = 500; // issue 11: one spine or one link lost costs <= 0.5 s of loss (p95)

export interface FaultRow {
  fault: string;
  n: number;
  loss: number[];
  toGreen: number[];
  target?: { figure: 'loss' | 'withdrawn'; ms: number };
  withdrawn?: number[];
  relearned?: number[];
  notes: string[];
}

export interface FaultsResult {
  topology: string;
  rounds: number;
  rows: FaultRow[];
  figures: Figure[];
  error?: string;
}

/** `ping -D -i 0.1` from a namespace; the loss windows come from the icmp_seq numbers answered. */
class Probe {
  private readonly child: ChildProcess;
  private readonly answered = new Map<number, number>(); // seq -> epoch ms of the reply
  private last = 0;

  constructor(netns: string, source: string, target: string) {
    this.child = spawn('ip', ['netns', 'exec', netns, 'ping', '-n', '-D', '-i', String(PROBE_INTERVAL_MS / 1000), '-I', source, target], { stdio: ['ignore', 'pipe', 'ignore'] });
    let buffered = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const l of lines) {
        // only replies: "From 10.0.0.11 icmp_seq=5 Destination Host Unreachable" is a loss
        const m = /^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)/.exec(l);
        if (m) {
          this.answered.set(Number(m[2]), Number(m[1]) * 1000);
          this.last = Math.max(this.last, Number(m[2]));
        }
      }
    });
  }

  /** The newest seq answered so far (0 before the first). */
  get seq(): number {
    return this.last;
  }

  /** The longest run of lost probes between seqs `from` and `to`, as time: first lost -> first answered again. */
  lossWindow(from: number, to: number): number {
    let longest = 0;
    let run = 0;
    for (let s = from; s <= to; s++) {
      if (this.answered.has(s)) {
        longest = Math.max(longest, run);
        run = 0;
      } else run += 1;
    }
    return Math.max(longest, run) * PROBE_INTERVAL_MS;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

interface Fault {
  name: string;
  /** breaks something; returns the repair, or undefined when the fault repairs itself */
  inject(): Promise<(() => Promise<void>) | undefined>;
  target?: FaultRow['target'];
  /** a second row for the repair's own loss window */
  repairName?: string;
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

export async function runFaults({ topology, rounds = 5, log = () => undefined }: { topology: string; rounds?: number; log?: (m: string) => void }): Promise<FaultsResult> {
  const plan = await loadPlan(topology);
  const pool = new ConnectionPool();
  const exec = async (node: string, command: string): Promise<string> => {
    const n = [...plan.switches, ...plan.servers].find((x) => x.name === node)!;
    const r = await (await pool.get(node, n.mgmt)).exec(command, { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`${node}: ${command}: exit ${r.code} ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
    return r.stdout;
  };
  const leaves = plan.switches.filter((s) => s.role === 'leaf');
  const spine = plan.switches.find((s) => s.role === 'spine')!;
  const [first, last] = [leaves[0], leaves[leaves.length - 1]];
  const server = plan.servers.filter((s) => s.uplink.leaf === last.name && s.containers.length > 0).at(-1)!;
  const target = server.containers[0];
  const link = plan.links.find((l) => l.kind === 'fabric' && [l.a.node, l.b.node].includes(spine.name) && [l.a.node, l.b.node].includes(last.name))!;
  const spinePort = link.a.node === spine.name ? link.a.port : link.b.port;
  const serverIps = server.containers.map((c) => c.ip);
  const holdMs = plan.redistributeNeighbor.holdtime * 1000;
  const watch = new RouteWatch(plan, (sw) => netnsName(plan.name, sw));
  await watch.start();
  watch.assume(plan.containers.map((c) => c.ip), true);

  const uplink: { withdrawn: number[]; relearned: number[]; sweeps: number } = { withdrawn: [], relearned: [], sweeps: 0 };
  const notes = new Map<string, Set<string>>();
  const note = (fault: string, text: string) => (notes.get(fault) ?? notes.set(fault, new Set()).get(fault)!).add(text);

  const faults: Fault[] = [
    {
      name: `spine link down (${spine.name}:${spinePort} -> ${last.name})`,
      repairName: 'spine link back up',
      target: { figure: 'loss', ms: SPINE_TARGET_MS },
      async inject() {
        await exec(spine.name, `ip link set ${spinePort} down`);
        await sleep(3000);
        return async () => void (await exec(spine.name, `ip link set ${spinePort} up`));
      },
    },
    {
      name: `spine FRR stopped (${spine.name})`,
      repairName: 'spine FRR started',
      target: { figure: 'loss', ms: SPINE_TARGET_MS },
      async inject() {
        await exec(spine.name, '/usr/lib/frr/frrinit.sh stop >/dev/null 2>&1');
        await sleep(3000);
        return async () => void (await exec(spine.name, '/usr/lib/frr/frrinit.sh start >/dev/null 2>&1'));
      },
    },
    {
      name: `leaf FRR restarted (${last.name})`,
      async inject() {
        await exec(last.name, '/usr/lib/frr/frrinit.sh restart >/dev/null 2>&1');
        return undefined;
      },
    },
    {
      name: `agent SIGKILLed (${last.name}), then up`,
      target: { figure: 'loss', ms: 0 },
      async inject() {
        await exec(last.name, 'kill -KILL $(cat /run/rdnbrd.pid)');
        await sleep(2 * holdMs);
        return async () => {
          const r = await cldemo(['up'], { topology });
          const changes = (r.doc as { nodes?: { name: string; changes: string[] }[] } | undefined)?.nodes?.find((n) => n.name === last.name)?.changes ?? [];
          if (!r.ok || !changes.some((c) => /rdnbrd (started|restarted)/.test(c))) throw new Error(`up did not restart the agent on ${last.name}: ${r.error ?? changes.join('; ')}`);
        };
      },
    },
    {
      name: `dockerd restarted (${server.name})`,
      async inject() {
        // the same command line it ran with: the lab's, or a real server's
        await exec(server.name, 'pid=$(cat /var/run/docker.pid); cmd=$(tr "\\0" " " </proc/$pid/cmdline); kill $pid; while kill -0 $pid 2>/dev/null; do sleep 0.1; done; setsid -f $cmd </dev/null >>/var/log/docker.log 2>&1');
        return undefined;
      },
    },
    {
      name: `server uplink down/up (${server.name}:${server.uplink.interface})`,
      target: { figure: 'withdrawn', ms: holdMs + 1000 },
      async inject() {
        const down = Date.now();
        watch.assume(serverIps, true);
        await exec(server.name, `ip link set ${server.uplink.interface} down`);
        if (!(await watch.waitEverywhere(serverIps, false, holdMs + 15_000))) throw new Error(`${server.name}'s /32s still present ${holdMs / 1000 + 15} s after its uplink went down`);
        uplink.withdrawn.push(Math.max(...serverIps.map((ip) => watch.everywhereSince(ip, false)!)) - down);
        return async () => {
          const up = Date.now();
          await exec(server.name, `ip link set ${server.uplink.interface} up`);
          if (!(await watch.waitEverywhere(serverIps, true, 20_000))) {
            uplink.sweeps += 1;
            await cldemo(['ping-sweep'], { topology });
            await watch.waitEverywhere(serverIps, true, 20_000);
          }
          uplink.relearned.push(Math.max(...serverIps.map((ip) => watch.everywhereSince(ip, true) ?? NaN)) - up);
        };
      },
    },
  ];

  const loss = new Map<string, number[]>();
  const toGreen = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, v: number) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  const netns = netnsName(plan.name, first.name);
  let error: string | undefined;
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const f of faults) {
        log(`7 faults: round ${round}/${rounds}: ${f.name}`);
        const probe = new Probe(netns, first.loopback, target.ip);
        try {
          if (!(await waitUntil(() => probe.seq >= 10, 15_000))) throw new Error(`the probe from ${first.name} to ${target.ip} gets no answer before the fault`);
          const start = probe.seq + 1;
          const repair = await f.inject();
          const repairedAt = probe.seq + 1;
          if (repair) await repair();
          const green = await cldemo(['verify-routes', '--wait', '60'], { topology, timeoutMs: 90_000 });
          if (!green.ok) {
            // a fault the fabric does not heal by itself: say so, and heal it for the next round
            note(f.name, 'needed a ping-sweep');
            await cldemo(['ping-sweep'], { topology });
            const again = await cldemo(['verify-routes', '--wait', '60'], { topology, timeoutMs: 90_000 });
            if (!again.ok) throw new Error(`verify-routes not green after ${f.name}: ${again.error}`);
            push(toGreen, f.name, green.ms + again.ms);
          } else push(toGreen, f.name, green.ms);
          await sleep(1000);
          const end = probe.seq;
          if (f.repairName) {
            push(loss, f.name, probe.lossWindow(start, repairedAt));
            push(loss, f.repairName, probe.lossWindow(repairedAt, end));
          } else push(loss, f.name, probe.lossWindow(start, end));
        } finally {
          probe.stop();
        }
      }
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    log(`7 faults: ${error}`);
  } finally {
    watch.stop();
    await pool.closeAll();
  }
  if (uplink.sweeps > 0) note(faults[5].name, `needed a ping-sweep ${uplink.sweeps}x to relearn`);

  const rows: FaultRow[] = faults.flatMap((f): FaultRow[] => {
    const main: FaultRow = { fault: f.name, n: (loss.get(f.name) ?? []).length, loss: loss.get(f.name) ?? [], toGreen: toGreen.get(f.name) ?? [], target: f.target, notes: [...(notes.get(f.name) ?? [])] };
    if (f === faults[5]) Object.assign(main, { withdrawn: uplink.withdrawn, relearned: uplink.relearned });
    if (!f.repairName) return [main];
    return [main, { fault: f.repairName, n: (loss.get(f.repairName) ?? []).length, loss: loss.get(f.repairName) ?? [], toGreen: [], target: f.target, notes: [] }];
  });
  return { topology, rounds, rows, figures: faultFigures(rows, error), error };
}

function faultFigures(rows: FaultRow[], error?: string): Figure[] {
  const label = '7 faults';
  const id = (r: FaultRow, what: string) => `faults.${r.fault.replace(/\s*\(.*\)/, '').replace(/[^a-z0-9]+/gi, '_').toLowerCase()}.${what}`;
  return rows.flatMap((r) => {
    const lossTarget = r.target?.figure === 'loss' ? { target: r.target.ms } : {};
    const out = [figure(id(r, 'loss'), `${r.fault}: loss window`, r.loss, { ...lossTarget, error: r.loss.length ? undefined : error ?? 'not measured', note: r.notes.join('; ') || undefined })];
    if (r.toGreen.length) out.push(figure(id(r, 'green'), `${r.fault}: to green verify-routes`, r.toGreen));
    if (r.withdrawn?.length) out.push(figure(id(r, 'withdrawn'), `${r.fault}: /32s withdrawn after link down`, r.withdrawn, { target: r.target?.ms }));
    if (r.relearned?.length) out.push(figure(id(r, 'relearned'), `${r.fault}: /32s relearned after link up`, r.relearned));
    return out.map((f) => ({ ...f, scenario: label }));
  });
}

/** fault | n | loss median/p95 | to green median/p95 | target | met */
export function formatFaultTable(rows: FaultRow[]): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mp = (xs: number[]) => (xs.length ? `${s(percentile(xs, 50))} / ${s(percentile(xs, 95))}` : '-');
  const body = rows.map((r) => {
    const judged = r.target?.figure === 'withdrawn' ? r.withdrawn ?? [] : r.loss;
    const met = r.target && judged.length ? (percentile(judged, 95) <= r.target.ms ? 'yes' : 'NO') : '';
    const extra = r.withdrawn?.length ? ` (withdrawn ${mp(r.withdrawn)}, relearned ${mp(r.relearned ?? [])})` : '';
    return [r.fault, String(r.n), mp(r.loss), mp(r.toGreen), r.target ? `${r.target.figure === 'loss' ? 'loss' : 'withdrawn'} p95 <= ${s(r.target.ms)}` : '', met, (r.notes.join('; ') + extra).trim()];
  });
  const head = ['fault', 'n', 'loss median / p95', 'to green median / p95', 'target', 'met', 'notes'];
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { topology: { type: 'string', short: 't' }, rounds: { type: 'string' }, json: { type: 'string' } } });
  if (!values.topology) throw new Error('usage: node dist/bench/faults.js -t TOPOLOGY [--rounds N] [--json FILE]');
  const r = await runFaults({ topology: values.topology, rounds: Number(values.rounds ?? 5), log: (m) => process.stderr.write(`${m}\n`) });
  console.log(formatFaultTable(r.rows));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(r, null, 2)}\n`);
  if (r.error) {
    console.log(`ERROR ${r.error}`);
    process.exitCode = 1;
  }
}

