/**
 * Scenarios 1, 4 and 5: a topology's whole life, through the CLI as a user runs it
 * (`node bin/cldemo.js ... --json`, wall clock from spawn to exit):
 *
 *   lab up (image cached) -> [ up (from scratch), up (second, nothing to do), ping-sweep,
 *   verify-routes --wait (the first check, which waits for BGP to carry every /32),
 *   verify-routes (the check itself, fabric converged), down --purge-config ] x reps
 *   -> lab down
 *
 * `down --purge-config` also puts the switches' pre-cldemo configs back, so every rep's
 * `up` starts from scratch. Convergence rounds (scenario 2) run on the last rep before its
 * `down`; growth points (scenario 5: the same lab, fewer containers per server) run after
 * the reps, each an up / ping-sweep / verify-routes / down of its own topology file.
 * The host's used memory is sampled for the whole session.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureApacheImage } from 'cldemo/bench';
import { runConvergence, type ConvergenceResult } from './convergence.js';
import { removeLabOnSignal } from './lib/interrupt.js';
import { cldemo, cldemoOrThrow, figure, sampleMemory, stepFigure, type CliRun, type Figure, type MemoryFigures } from './lib/measure.js';
import { upPhases } from './lib/up-phases.js';

export interface TopologyShape {
  name: string;
  mgmtSubnet: string;
  spines: number;
  leaves: number;
  serversPerLeaf: number;
  containersPerServer: number;
}

/** Every CLI step of one fabric pass, failed or not. */
interface FabricPass {
  up?: CliRun;
  upRetry?: CliRun;
  upSecond?: CliRun;
  pingSweep?: CliRun;
  verifyWait?: CliRun;
  verify?: CliRun;
  status?: CliRun;
  down?: CliRun;
  absentAfterDown?: CliRun;
}

/** A pass that ran to its end: the steps every pass has. */
type DonePass = FabricPass & Required<Pick<FabricPass, 'up' | 'pingSweep' | 'verifyWait' | 'verify'>>;

export interface LifecycleTargets {
  labUp?: number;
  labDown?: number;
  up?: number;
  upSecond?: number;
  pingSweep?: number;
  verify?: number;
  /** convergence: container start -> /32 on every switch, p95 (no ping-sweep) */
  installFromStart?: number;
  /** status's own work (its elapsed_ms: SSH commands and Docker calls), Node's start not counted */
  status?: number;
}

export interface LifecycleOptions {
  /** topology file (its own name and mgmt subnet: never a lab someone else runs) */
  topology: string;
  label: string;
  idPrefix: string;
  /** fabric passes */
  reps?: number;
  /** scenario 2 rounds on the last pass (0: none) */
  convergenceRounds?: number;
  /** containers then stopped one at a time in that scenario */
  singleStops?: number;
  /** extra up/verify points on the same lab */
  growth?: { containers: number; topology: string }[];
  targets?: LifecycleTargets;
  log?: (message: string) => void;
  /** containers in the topology: `up`'s CPU per container */
  containers?: number;
  /** run on the idle lab after lab up, before the first fabric pass; its figures join the scenario's */
  beforePasses?: (topology: string) => Promise<Figure[]>;
}

export interface LifecycleResult {
  labUp: CliRun;
  labDown: CliRun;
  passes: DonePass[];
  growthPasses: { containers: number; pass: DonePass }[];
  convergence: ConvergenceResult | undefined;
  memory: MemoryFigures;
  figures: Figure[];
}

/** `cldemo generate` into DIR/NAME-cC.yaml; the generator is the product's, so it is run too. */
export async function generateTopology(dir: string, { name, mgmtSubnet, spines, leaves, serversPerLeaf, containersPerServer }: TopologyShape): Promise<string> {
  const r = await cldemoOrThrow(
    ['generate', '--spines', spines, '--leaves', leaves, '--servers-per-leaf', serversPerLeaf, '--containers-per-server', containersPerServer, '--name', name, '--mgmt-subnet', mgmtSubnet].map(String),
    { json: false },
  );
  const file = join(dir, `${name}-c${containersPerServer}.yaml`);
  writeFileSync(file, r.stdout);
  return file;
}

const STEP_TIMEOUT_MS = 600_000;

/** One pass of the fabric commands on a lab that is up; every step is recorded, failed or not. */
async function fabricPass(topology: string, { timeoutMs = STEP_TIMEOUT_MS, second = true } = {}): Promise<DonePass> {
  const step = (args: string[]): Promise<CliRun> => cldemo(args, { topology, timeoutMs });
  // not --json: its progress lines, stamped, say where the time went; the host's CPU says whether it could go faster
  const up = await cldemo(['up'], { topology, timeoutMs, json: false, stamps: true, hostCpu: true });
  // a partly failed up leaves work undone; a second up finishes it so the other figures still mean something
  const upRetry = up.ok ? undefined : await step(['up']);
  const upSecond = second ? await step(['up']) : undefined;
  const pingSweep = await step(['ping-sweep']);
  const verifyWait = await step(['verify-routes', '--wait', '60']);
  const verify = await step(['verify-routes']);
  const status = await step(['status']);
  return { up, upRetry, upSecond, pingSweep, verifyWait, verify, status };
}

async function downPass(topology: string, pass: DonePass): Promise<DonePass> {
  pass.down = await cldemo(['down', '--purge-config'], { topology, timeoutMs: STEP_TIMEOUT_MS });
  // the next up must start from a clean fabric: wait the withdrawals out (not a figure; a
  // failure is kept with the pass, so the suite's failed_steps shows /32s that outlived down)
  pass.absentAfterDown = await cldemo(['verify-routes', '--absent', '--wait', '30', '--no-dataplane'], { topology, timeoutMs: 120_000 });
  return pass;
}

export async function runLifecycle({ topology, label, idPrefix, reps = 1, convergenceRounds = 0, singleStops = 0, growth = [], targets = {}, log = () => {}, containers, beforePasses }: LifecycleOptions): Promise<LifecycleResult> {
  await ensureApacheImage(); // "lab up (image cached)": a first-ever run builds the image here, untimed
  await cldemo(['lab', 'down'], { topology, json: false }); // a leftover of an interrupted run of ours
  const release = removeLabOnSignal(topology);
  const memory = sampleMemory();
  const passes: DonePass[] = [];
  const growthPasses: LifecycleResult['growthPasses'] = [];
  let convergence: ConvergenceResult | undefined;
  let labUp: CliRun | undefined;
  let labDown: CliRun;
  const extra: Figure[] = [];
  try {
    log(`${label}: lab up`);
    labUp = await cldemo(['lab', 'up', '--no-install'], { topology, json: false, timeoutMs: STEP_TIMEOUT_MS });
    if (!labUp.ok) throw new Error(`lab up failed: ${labUp.error}`);
    if (beforePasses) {
      log(`${label}: on the idle lab`);
      extra.push(...(await beforePasses(topology)).map((f) => ({ ...f, scenario: label })));
    }
    for (let i = 0; i < reps; i++) {
      log(`${label}: fabric pass ${i + 1}/${reps}`);
      const pass = await fabricPass(topology);
      if (i === reps - 1 && convergenceRounds > 0) {
        log(`${label}: convergence, ${convergenceRounds} round(s)`);
        convergence = await runConvergence({
          topology, rounds: convergenceRounds, singleStops, idPrefix: `${idPrefix}.convergence`, label: `${label} convergence`,
          targets: { installFromStart: targets.installFromStart },
        });
      }
      passes.push(await downPass(topology, pass));
    }
    for (const point of growth) {
      log(`${label}: growth point, ${point.containers} containers`);
      const pass = await fabricPass(point.topology, { second: false });
      growthPasses.push({ containers: point.containers, pass: await downPass(point.topology, pass) });
    }
  } finally {
    log(`${label}: lab down`);
    labDown = await cldemo(['lab', 'down'], { topology, json: false, timeoutMs: STEP_TIMEOUT_MS });
    release();
  }
  const mem = memory.stop();
  const figures = lifecycleFigures({ label, idPrefix, labUp, labDown, passes, convergence, mem, targets, containers });
  return { labUp, labDown, passes, growthPasses, convergence, memory: mem, figures: [...figures, ...extra] };
}

interface LifecycleFigureInputs {
  label: string;
  idPrefix: string;
  labUp: CliRun;
  labDown: CliRun;
  passes: DonePass[];
  convergence: ConvergenceResult | undefined;
  mem: MemoryFigures;
  targets: LifecycleTargets;
  containers?: number;
}

function lifecycleFigures({ label, idPrefix, labUp, labDown, passes, convergence, mem, targets, containers }: LifecycleFigureInputs): Figure[] {
  const runs = (key: keyof FabricPass): CliRun[] => passes.map((p) => p[key]).filter((r): r is CliRun => r !== undefined);
  const rows = [
    stepFigure(`${idPrefix}.lab_up`, 'lab up (image cached)', [labUp], { target: targets.labUp }),
    stepFigure(`${idPrefix}.up`, 'up (from scratch)', runs('up'), { target: targets.up }),
    stepFigure(`${idPrefix}.up_second`, 'up (second, nothing to change)', runs('upSecond'), { target: targets.upSecond }),
    stepFigure(`${idPrefix}.ping_sweep`, 'ping-sweep', runs('pingSweep'), { target: targets.pingSweep }),
    stepFigure(`${idPrefix}.verify_first`, 'verify-routes --wait (first: waits for BGP)', runs('verifyWait')),
    stepFigure(`${idPrefix}.verify`, 'verify-routes (converged fabric)', runs('verify'), { target: targets.verify }),
    stepFigure(`${idPrefix}.status`, 'status (converged fabric)', runs('status')),
    figure(`${idPrefix}.status_work`, '  status: its own work (elapsed_ms)', runs('status').map((r) => (r.doc as { elapsed_ms?: number } | undefined)?.elapsed_ms ?? NaN), { target: targets.status }),
    stepFigure(`${idPrefix}.down`, 'down --purge-config', runs('down')),
    stepFigure(`${idPrefix}.lab_down`, 'lab down', [labDown], { target: targets.labDown }),
    figure(`${idPrefix}.mem_peak`, 'host memory used, peak', [mem.peakMiB], { unit: 'MiB' }),
    figure(`${idPrefix}.mem_added`, 'host memory used, peak above start', [mem.peakAboveBaselineMiB], { unit: 'MiB' }),
  ];
  rows.splice(2, 0, ...upBreakdown(idPrefix, passes[0]?.up, containers));
  const retried = passes.filter((p) => p.upRetry);
  if (retried.length > 0) rows[1].note = `${retried.length} up(s) failed and were re-run (${retried.map((p) => (p.upRetry as CliRun).ms.toFixed(0)).join(', ')} ms)`;
  return [...rows.map((r) => ({ ...r, scenario: label })), ...(convergence?.figures ?? [])];
}

/**
 * The first `up` from scratch, taken apart: the host's CPU while it ran (busy CPU seconds
 * against wall time x cores: near 100 % busy means the machine, not waiting, sets the pace)
 * and the phases its progress lines mark.
 */
function upBreakdown(idPrefix: string, up: CliRun | undefined, containers: number | undefined): Figure[] {
  if (!up?.ok) return [];
  const rows: Figure[] = [];
  const cpu = up.hostCpu;
  if (cpu) {
    rows.push(figure(`${idPrefix}.up_cpu`, '  up: host CPU busy, every core together', [cpu.busyS], { unit: 'CPU s' }));
    rows.push(figure(`${idPrefix}.up_busy_share`, `  up: ${cpu.cores} cores busy (share of wall time)`, [(100 * cpu.busyS) / (cpu.busyS + cpu.idleS)], { unit: '%' }));
    if (containers) rows.push(figure(`${idPrefix}.up_cpu_per_container`, '  up: host CPU per container', [(cpu.busyS * 1000) / containers]));
  }
  const p = upPhases(up.stderrLines ?? []);
  const add = (key: string, name: string, samples: number[]): void => {
    if (samples.length > 0) rows.push(figure(`${idPrefix}.up_phase_${key}`, `  up, per server: ${name}`, samples));
  };
  add('setup', 'uplink config and docker checks', p.serverSetup);
  add('network', 'macvlan network', p.network);
  add('address_check', 'address check (arping from the leaf)', p.addressCheck);
  add('containers', 'containers created and started', p.containers);
  if (p.lastContainerMs !== undefined) rows.push(figure(`${idPrefix}.up_last_container`, '  up: last container started (since up began)', [p.lastContainerMs]));
  if (p.switchesStartMs !== undefined) rows.push(figure(`${idPrefix}.up_switches_start`, '  up: first switch step (since up began)', [p.switchesStartMs]));
  if (p.switchesSpan !== undefined) rows.push(figure(`${idPrefix}.up_switches_span`, '  up: switches, first step -> last done', [p.switchesSpan]));
  return rows;
}

/** Scenario 5's figures: up and verify time against container count, the cost per container and the ratio. */
export interface GrowthPoint {
  containers: number;
  up: CliRun;
  verify: CliRun;
}

/** `points` sorted by containers. */
export function growthFigures({ label, idPrefix, points, ratioTarget }: { label: string; idPrefix: string; points: GrowthPoint[]; ratioTarget: number }): Figure[] {
  const rows: Figure[] = [];
  for (const p of points) {
    rows.push(stepFigure(`${idPrefix}.up_${p.containers}`, `up at ${p.containers} containers`, [p.up]));
    rows.push(figure(`${idPrefix}.up_per_container_${p.containers}`, `  up per container at ${p.containers}`, [p.up.ms / p.containers], { error: p.up.ok ? undefined : p.up.error }));
    rows.push(stepFigure(`${idPrefix}.verify_${p.containers}`, `verify-routes at ${p.containers} containers`, [p.verify]));
  }
  const [first, last] = [points[0], points.at(-1)];
  if (first && last && first !== last) {
    const ok = first.up.ok && last.up.ok;
    rows.push(figure(`${idPrefix}.up_ratio`, `up time(${last.containers}) / time(${first.containers})`, [last.up.ms / first.up.ms], { unit: 'x', target: ratioTarget, error: ok ? undefined : 'an up failed' }));
    rows.push(figure(`${idPrefix}.verify_ratio`, `verify time(${last.containers}) / time(${first.containers})`, [last.verify.ms / first.verify.ms], { unit: 'x', target: ratioTarget }));
  }
  return rows.map((r) => ({ ...r, scenario: label }));
}
