#!/usr/bin/env node
/**
 * The bench suite (`npm run bench`): every scenario of issue 6 on the local lab, one after
 * the other (the machine has few cores; scenarios must not share them), one table on
 * stdout, one JSON file with every figure, the machine and the versions.
 *
 *   1 default topology   lab up, up, second up, ping-sweep, verify-routes, down, lab down
 *   2 convergence        container start -> /32 on every switch; docker stop -> /32 gone
 *   3 docker-api         Docker API over the shared SSH connection vs dockerode's ssh mode
 *   4 scale              2 spines, 8 leaves, 8 servers x 32 containers: scenario 1 + memory
 *   5 growth             up and verify at 64, 128, 256 containers on that same lab
 *   6 scale 512          2 spines, 16 leaves, 16 servers x 32 containers: scenario 1 + memory,
 *                        up time(512) / time(256), and Docker's own CPU per container start
 *                        on the idle lab (x 512 / cores: a floor for up; docker-floor.ts)
 *   7 faults             the shipped drills (drills/*.yaml): the default topology, and the default
 *                        topology with BFD and graceful restart, broken on purpose (loss window,
 *                        to green, every expectation held, a tightened limit fails)
 *   8 nodes              4 spines, 32 leaves, 64 servers x 4 containers (100 nodes): the lab as
 *                        it is, the laptop's share apart (cldemo's own CPU, RSS, connections),
 *                        and the same commands over 100 ms management round trips (nodes.ts)
 *   9 mass withdrawal    2 spines, 8 leaves, 8 servers x 32 containers, all stopped at once: each
 *                        /32 gone from every switch, from its container's own die event (target
 *                        p95 <= holdtime + 2 s), and where the time went (mass-withdrawal.ts)
 *
 *   node dist/bench/run.js [--smoke] [--json FILE] [--only 1,3,...] [--fault-rounds N]
 *
 * (--only 4 without 5 runs the 256-container scenario without its growth points.)
 *
 * --smoke runs every scenario on a tiny fabric (1 spine, 2 leaves, 2 servers, 2 containers
 * each; scenario 8: 2 spines, 4 leaves, 8 servers) in a few minutes; CI runs it
 * (test/bench/smoke.test.ts, nodes.test.ts, mass-withdrawal.test.ts) so the suite cannot rot.
 * Labs get their own names and management subnets (lib/labs.ts: bdef, bscale, b512, bflt, bfltg, bnodes, bmass;
 * the smoke run's bsmk1, bsmk4, bsmk6, bsmk8, bsmk9), so a lab someone else runs is never touched. Needs root and `npm run build`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable as formatDockerApiTable, runDockerApiBench, type DockerApiResult } from './docker-api.js';
import { generateTopology, growthFigures, runLifecycle, type LifecycleResult, type LifecycleTargets, type TopologyShape } from './lifecycle.js';
import { formatFaultTable, runFaults, type FaultsResult } from './faults.js';
import { cldemoOrThrow, figure, machineInfo, ROOT, type CliRun, type Figure } from './lib/measure.js';
import { dockerFloor } from './docker-floor.js';
import { LABS, ownCopy, type OwnLab } from './lib/labs.js';
import { MASS_FULL, MASS_SMOKE, runMassWithdrawal, type MassWithdrawalConfig } from './mass-withdrawal.js';
import { NODES_TARGETS, runNodes, type NodesConfig } from './nodes.js';
import { DEFAULT_PARALLEL } from 'cldemo/bench';

/** The suite's JSON file. */
interface Report extends ReturnType<typeof machineInfo> {
  mode: 'smoke' | 'full';
  started_at: string;
  finished_at?: string;
  duration_s?: number;
  targets: typeof TARGETS;
  figures: Figure[];
  scenarios: Record<string, unknown>;
  errors: string[];
}

interface DefaultConfig {
  name: string;
  mgmtSubnet: string;
  reps: number;
  convergenceRounds: number;
  tiny?: boolean;
}

interface ScaleConfig {
  name: string;
  mgmtSubnet: string;
  spines: number;
  leaves: number;
  serversPerLeaf: number;
  /** containers per server at each growth point */
  growth: number[];
  containersPerServer: number;
  convergenceRounds: number;
  /** containers stopped one at a time after the mass stop */
  singleStops: number;
}

/** the 512-container scenario: one generated fabric shape */
type LargeConfig = TopologyShape;

interface FaultsConfig {
  /** the lab of the default topology as it is */
  plain: OwnLab;
  /** the lab of the default topology with BFD and graceful restart on */
  options: OwnLab;
  rounds: number;
}

interface SuiteConfig {
  default: DefaultConfig;
  dockerApiCalls: number;
  scale: ScaleConfig;
  large: LargeConfig;
  /** absent: the suite's form skips the fault scenario (its figures may be 0 by design) */
  faults?: FaultsConfig;
  mass: MassWithdrawalConfig;
  nodes: NodesConfig;
}

const FULL: SuiteConfig = {
  default: { ...LABS.bdef, reps: 3, convergenceRounds: 3 },
  dockerApiCalls: 20,
  scale: { ...LABS.bscale, spines: 2, leaves: 8, serversPerLeaf: 1, growth: [8, 16], containersPerServer: 32, convergenceRounds: 1, singleStops: 16 },
  large: { ...LABS.b512, spines: 2, leaves: 16, serversPerLeaf: 1, containersPerServer: 32 },
  faults: { plain: LABS.bflt, options: LABS.bfltg, rounds: 5 },
  mass: MASS_FULL,
  nodes: { ...LABS.bnodes, spines: 4, leaves: 32, serversPerLeaf: 2, containersPerServer: 4, oneWayMs: 50, parallels: [...new Set([16, 32, 64, 100, DEFAULT_PARALLEL])].sort((a, b) => a - b), defaultParallel: DEFAULT_PARALLEL, eventsS: 10 },
};
const SMOKE: SuiteConfig = {
  default: { ...LABS.bsmk1, reps: 1, convergenceRounds: 1, tiny: true },
  dockerApiCalls: 3,
  scale: { ...LABS.bsmk4, spines: 1, leaves: 2, serversPerLeaf: 1, growth: [1], containersPerServer: 2, convergenceRounds: 1, singleStops: 2 },
  large: { ...LABS.bsmk6, spines: 1, leaves: 2, serversPerLeaf: 1, containersPerServer: 3 },
  mass: MASS_SMOKE,
  nodes: { ...LABS.bsmk8, spines: 2, leaves: 4, serversPerLeaf: 2, containersPerServer: 2, oneWayMs: 50, parallels: [DEFAULT_PARALLEL], defaultParallel: DEFAULT_PARALLEL, eventsS: 3 },
};

// issue 5 (default topology), issue 3 (lab), issue 6 (scale), issue 12 (learning, 512): ms unless noted
const TARGETS: { default: LifecycleTargets; scale: LifecycleTargets; large: LifecycleTargets; dockerApiRatio: number; growthRatio: number; largeUpRatio: number; largeFloorRatio: number; nodes: typeof NODES_TARGETS } = {
  default: { labUp: 20_000, labDown: 10_000, up: 10_000, upSecond: 3_000, pingSweep: 2_000, verify: 3_000, installFromStart: 1_500, status: 1_000 },
  scale: { up: 60_000, pingSweep: 5_000, verify: 5_000, installFromStart: 3_000 },
  large: { up: 90_000 },
  dockerApiRatio: 20,
  growthRatio: 4.5,
  largeUpRatio: 2.2,
  largeFloorRatio: 1.25,
  nodes: NODES_TARGETS,
};

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function scenarioDefault(dir: string, cfg: DefaultConfig): Promise<LifecycleResult> {
  const topology = cfg.tiny
    ? await generateTopology(dir, { ...cfg, spines: 1, leaves: 2, serversPerLeaf: 1, containersPerServer: 2 })
    : ownCopy(cfg, dir);
  const label = cfg.tiny ? '1 default (smoke: tiny)' : '1 default';
  const result = await runLifecycle({ topology, label, idPrefix: 'default', reps: cfg.reps, convergenceRounds: cfg.convergenceRounds, targets: TARGETS.default, log });
  // scenario 2 ran inside this lab; give it its own heading in the table
  for (const f of result.figures) if (f.id.startsWith('default.convergence.')) Object.assign(f, { id: f.id.replace('default.', ''), scenario: '2 convergence' });
  return result;
}

/**
 * Scenario 7: the drills, each lab built, brought up, drilled and removed in turn (one lab at a
 * time: the other's idle daemons would share the cores with the measurement).
 */
async function scenarioFaults(dir: string, cfg: FaultsConfig): Promise<FaultsResult> {
  const plain = ownCopy(cfg.plain, dir);
  const options = ownCopy(cfg.options, dir, undefined, '\nbgp:\n  bfd: true\n  graceful_restart: true\n');
  const inLab = async <T>(topology: string, name: string, work: () => Promise<T>): Promise<T> => {
    const opts = { topology, json: false };
    log(`7 faults: lab up ${name}`);
    await cldemoOrThrow(['lab', 'down'], opts);
    await cldemoOrThrow(['lab', 'up'], opts);
    try {
      await cldemoOrThrow(['up'], opts);
      await cldemoOrThrow(['verify-routes', '--wait', '60'], opts);
      return await work();
    } finally {
      await cldemoOrThrow(['lab', 'down'], opts);
    }
  };
  const a = await inLab(plain, cfg.plain.name, () => runFaults({ plain, rounds: cfg.rounds, log }));
  const b = await inLab(options, cfg.options.name, () => runFaults({ options, rounds: cfg.rounds, log }));
  const rows = [...a.rows, ...b.rows];
  return { rounds: cfg.rounds, rows, figures: [...a.figures, ...b.figures], ...(a.error || b.error ? { error: [a.error, b.error].filter(Boolean).join('; ') } : {}) };
}

async function scenarioDockerApi(calls: number): Promise<{ raw: DockerApiResult; table: string; figures: Figure[] }> {
  log(`3 docker-api: ${calls} calls per transport`);
  const r = await runDockerApiBench({ calls });
  const label = '3 docker-api';
  const byVersion = r.byCall[0];
  const rows = [
    figure('docker_api.dockerode_ssh', 'GET /version, dockerode protocol ssh', [byVersion.dockerodeSsh.medianMs]),
    figure('docker_api.shared', 'GET /version, shared SSH connection', [byVersion.shared.medianMs]),
    figure('docker_api.ratio', 'ratio dockerode ssh / shared (median)', [r.ratio], { unit: 'x', target: TARGETS.dockerApiRatio, lowerIsBetter: false }),
  ];
  return { raw: r, table: formatDockerApiTable(r), figures: rows.map((f) => ({ ...f, scenario: label })) };
}

async function scenarioScale(dir: string, cfg: ScaleConfig, withGrowth = true): Promise<LifecycleResult & { containers: number }> {
  const shape = { name: cfg.name, mgmtSubnet: cfg.mgmtSubnet, spines: cfg.spines, leaves: cfg.leaves, serversPerLeaf: cfg.serversPerLeaf };
  const servers = cfg.leaves * cfg.serversPerLeaf;
  const topology = await generateTopology(dir, { ...shape, containersPerServer: cfg.containersPerServer });
  const growth: { containers: number; topology: string }[] = [];
  for (const c of withGrowth ? cfg.growth : []) growth.push({ containers: c * servers, topology: await generateTopology(dir, { ...shape, containersPerServer: c }) });
  const containers = cfg.containersPerServer * servers;
  const label = `4 scale (${containers} containers)`;
  const result = await runLifecycle({ topology, label, idPrefix: 'scale', reps: 1, convergenceRounds: cfg.convergenceRounds, singleStops: cfg.singleStops, growth, targets: TARGETS.scale, log, containers });
  for (const f of result.figures) if (f.id.startsWith('scale.convergence.')) f.scenario = `4 scale convergence`;
  const points = [
    ...result.growthPasses.map((g) => ({ containers: g.containers, ...g.pass })),
    { containers, ...result.passes[0] },
  ];
  const growthRows = growthFigures({ label: '5 growth', idPrefix: 'growth', points, ratioTarget: TARGETS.growthRatio });
  return { ...result, containers, figures: [...result.figures, ...growthRows] };
}

/** Scenario 6: the 512-container fabric from scratch. */
async function scenarioLarge(dir: string, cfg: LargeConfig): Promise<LifecycleResult & { containers: number }> {
  const topology = await generateTopology(dir, cfg);
  const containers = cfg.leaves * cfg.serversPerLeaf * cfg.containersPerServer;
  let floorMs: number | undefined;
  let dockerWallMs: number | undefined;
  const beforePasses = async (): Promise<Figure[]> => {
    // every container of the fabric, every server at once, as up starts them; then removed again
    const f = await dockerFloor(topology);
    const cores = f.measured.cores;
    floorMs = (f.cpuPerContainerS * 1000 * f.containers) / cores;
    dockerWallMs = f.wallS * 1000;
    log(`6 scale: Docker alone, ${f.containers} containers on ${f.servers} servers at once: ${f.wallS.toFixed(1)} s, ${(f.cpuPerContainerS * 1000).toFixed(0)} ms CPU each (idle lab ${f.idleRate.toFixed(2)} CPU s/s taken off)`);
    // the host's CPU while Docker starts them, less the idle lab's rate measured just before
    const noise = "the rest of the machine's load changed between the idle sample and the starts by more than Docker's own cost (few containers, a busy machine)";
    const what = `${f.containers} on ${f.servers} servers at once, as up starts them`;
    return [
      figure('large.docker_cpu_per_container', `Docker alone: host CPU per container start (${what}; < 0: noise)`, [f.cpuPerContainerS * 1000], { signed: noise }),
      figure('large.docker_floor', `  x ${f.containers} containers / ${cores} cores: a floor for up`, [floorMs], { signed: noise }),
      figure('large.docker_wall', '  Docker alone: wall time to start them all', [dockerWallMs]),
    ];
  };
  const result = await runLifecycle({ topology, label: `6 scale (${containers} containers)`, idPrefix: 'large', reps: 1, targets: TARGETS.large, log, containers, beforePasses });
  // up from scratch against what Docker alone needs to start as many containers on these cores
  const up = result.passes[0]?.up;
  if (up && floorMs !== undefined) {
    const error = !up.ok ? 'the up failed' : floorMs <= 0 ? 'no floor: the idle sample took more CPU than Docker\'s starts' : undefined;
    const ratio = figure('large.up_over_docker_floor', 'up (from scratch) / Docker\'s floor for as many containers', [up.ms / floorMs], { unit: 'x', target: TARGETS.largeFloorRatio, error });
    const overWall = figure('large.up_over_docker_wall', 'up (from scratch) / Docker alone\'s wall time for them', [up.ms / dockerWallMs!], { unit: 'x', error: up.ok ? undefined : 'the up failed' });
    result.figures.push(...[ratio, overWall].map((f) => ({ ...f, scenario: `6 scale (${containers} containers)` })));
  }
  return { ...result, containers };
}

/** up time(512) / time(256), both from scratch: only when both scenarios ran. */
function largeRatioFigure(scale: (LifecycleResult & { containers: number }) | undefined, large: LifecycleResult & { containers: number }): Figure[] {
  const [a, b] = [scale?.passes[0]?.up, large.passes[0]?.up];
  if (!scale || !a || !b) return [];
  const error = a.ok && b.ok ? undefined : 'an up failed';
  const f = figure('large.up_ratio', `up time(${large.containers}) / time(${scale.containers})`, [b.ms / a.ms], { unit: 'x', target: TARGETS.largeUpRatio, error });
  return [{ ...f, scenario: `6 scale (${large.containers} containers)` }];
}

function formatTable(figures: Figure[]): string {
  const fmt = (x: number | null | undefined, unit: string): string => (x === null || x === undefined ? '-' : unit === 'ms' ? `${(x / 1000).toFixed(2)} s` : `${x} ${unit}`);
  const head = ['scenario', 'figure', 'n', 'median', 'p95', 'target', 'met'];
  const rows = figures.map((f): string[] => [
    f.scenario ?? '',
    f.name,
    String(f.n),
    f.error ? 'FAILED' : fmt(f.value, f.unit),
    fmt(f.p95, f.unit),
    f.target === undefined ? '' : `${f.unit === 'x' && f.id.endsWith('ratio') && f.id.startsWith('docker') ? '>=' : '<='} ${fmt(f.target, f.unit)}`,
    f.target === undefined ? '' : f.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main() {
  const { values } = parseArgs({ options: { smoke: { type: 'boolean' }, json: { type: 'string' }, only: { type: 'string' }, 'fault-rounds': { type: 'string' } } });
  const cfg = values.smoke ? SMOKE : FULL;
  if (values['fault-rounds'] && cfg.faults) cfg.faults = { ...cfg.faults, rounds: Number(values['fault-rounds']) };
  const only = new Set((values.only ?? '1,2,3,4,5,6,7,8,9').split(',').map((s) => s.trim()));
  const started = new Date();
  const jsonFile = values.json ?? join(ROOT, 'bench', 'results', `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-bench-'));
  let faultTable: string | undefined;
  const report: Report = { mode: values.smoke ? 'smoke' : 'full', started_at: started.toISOString(), ...machineInfo(), targets: TARGETS, figures: [], scenarios: {}, errors: [] };
  const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      const message = `${name}: ${e instanceof Error ? e.message : String(e)}`;
      log(message);
      report.errors.push(message);
      return undefined;
    }
  };
  try {
    if (only.has('1') || only.has('2')) {
      const r = await attempt('1 default', () => scenarioDefault(dir, cfg.default));
      if (r) {
        report.scenarios.default = { memory: r.memory, convergence: r.convergence && { ...r.convergence, samples: r.convergence.samples } };
        report.figures.push(...r.figures);
      }
    }
    if (only.has('3')) {
      const r = await attempt('3 docker-api', () => scenarioDockerApi(cfg.dockerApiCalls));
      if (r) {
        report.scenarios.docker_api = r.raw;
        report.figures.push(...withDockerApiSpread(r.figures, r.raw));
      }
    }
    let scale: (LifecycleResult & { containers: number }) | undefined;
    if (only.has('4') || only.has('5')) {
      scale = await attempt('4 scale', () => scenarioScale(dir, cfg.scale, only.has('5')));
      if (scale) {
        report.scenarios.scale = { memory: scale.memory, convergence: scale.convergence, failed_steps: failedSteps(scale) };
        report.figures.push(...scale.figures);
      }
    }
    if (only.has('6')) {
      const r = await attempt('6 scale 512', () => scenarioLarge(dir, cfg.large));
      if (r) {
        report.scenarios.large = { memory: r.memory, failed_steps: failedSteps(r) };
        report.figures.push(...r.figures, ...largeRatioFigure(scale, r));
      }
    }
    if (only.has('7') && cfg.faults) {
      const faults = cfg.faults;
      const r = await attempt('7 faults', () => scenarioFaults(dir, faults));
      if (r) {
        report.scenarios.faults = { rounds: r.rounds, rows: r.rows, error: r.error };
        report.figures.push(...r.figures);
        faultTable = formatFaultTable(r.rows);
        if (r.error) report.errors.push(`7 faults: ${r.error}`);
      }
    }
    if (only.has('8')) {
      const r = await attempt('8 nodes', () => runNodes(dir, cfg.nodes, { log }));
      if (r) {
        const { figures, ...rest } = r;
        report.scenarios.nodes = rest;
        report.figures.push(...figures);
      }
    }
    if (only.has('9')) {
      const r = await attempt('9 mass withdrawal', () => runMassWithdrawal(cfg.mass, { log: (m) => log(m) }));
      if (r) {
        report.scenarios.mass_withdrawal = { containers: r.containers, holdtime_s: r.holdtime_s, target_ms: r.target_ms, samples: r.convergence?.samples, error: r.error };
        report.figures.push(...r.figures);
        if (r.error) report.errors.push(`9 mass withdrawal: ${r.error}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const finished = new Date();
  report.finished_at = finished.toISOString();
  report.duration_s = Math.round((finished.getTime() - started.getTime()) / 1000);
  mkdirSync(dirname(jsonFile), { recursive: true });
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);

  console.log(formatTable(report.figures));
  const notes = report.figures.filter((f) => f.id.startsWith('nodes.') && f.note);
  if (notes.length) console.log(`\n${notes.map((f) => `${f.name.trim()}: ${f.note}`).join('\n')}`);
  if (faultTable) console.log(`\n${faultTable}`);
  const { machine: m, versions: v } = report;
  console.log(`\n${m.cores} cores (${m.cpu}), ${m.memory_gib} GiB; cldemo ${v.cldemo}, node ${v.node}, frr ${v.frr}, docker ${v.docker}, kernel ${v.kernel}`);
  console.log(`${report.mode} run, ${report.duration_s} s; every figure in ${jsonFile}`);
  for (const f of report.figures.filter((x) => x.error)) console.log(`FAILED ${f.id}: ${f.error}`);
  for (const e of report.errors) console.log(`ERROR ${e}`);
  process.exitCode = report.errors.length > 0 || report.figures.some((f) => f.error) ? 1 : 0;
}

/** docker-api.js summarises its samples itself; keep its p95/min/max next to the median. */
function withDockerApiSpread(rows: Figure[], raw: DockerApiResult): Figure[] {
  const spread: Record<string, DockerApiResult['byCall'][number]['shared']> = { 'docker_api.dockerode_ssh': raw.byCall[0].dockerodeSsh, 'docker_api.shared': raw.byCall[0].shared };
  return rows.map((f) => {
    const s = spread[f.id];
    return s ? { ...f, n: raw.calls, median: s.medianMs, p95: s.p95Ms, min: s.minMs, max: s.maxMs } : f;
  });
}

function failedSteps(r: LifecycleResult): { command: string; ms: number; error: string | undefined }[] {
  return [...r.passes, ...r.growthPasses.map((g) => g.pass)]
    .flatMap((p) => Object.values(p))
    .filter((s): s is CliRun => s !== undefined && !s.ok)
    .map((s) => ({ command: s.command, ms: Math.round(s.ms), error: s.error }));
}

await main();
