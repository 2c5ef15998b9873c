/**
 * What every scenario of the bench suite shares: the CLI run the way a user runs it (a new
 * `node bin/cldemo.js ... --json` process, wall clock), percentiles, the host's memory
 * sampled while a scenario runs, and the machine and versions the numbers came from.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The package root: the bench runs from bench/ (tests) or built, from dist/bench/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

export const ROOT = packageRoot();
const CLI = join(ROOT, 'bin', 'cldemo.js');
/** the preload that weighs a run from inside (built next to this file) */
const SHARE_PRELOAD = join(dirname(fileURLToPath(import.meta.url)), 'rss-at-exit.js');

/** What one cldemo process itself cost: its own CPU (no child's), its peak RSS, its TCP connections. */
export interface OwnShare {
  cpuMs: number;
  userMs: number;
  systemMs: number;
  maxRssKb: number;
  /** `host:port` -> connections opened */
  connects: Record<string, number>;
}

export interface CliRun {
  command: string;
  ok: boolean;
  ms: number;
  code: number | null;
  /** stdout parsed as JSON (--json runs), when it parsed */
  doc: unknown;
  stdout: string;
  stderr: string;
  error?: string;
  /** with `stamps`: every stderr line and when it arrived (ms since spawn) */
  stderrLines?: { ms: number; line: string }[];
  /** with `hostCpu`: the host's CPU while the command ran */
  hostCpu?: HostCpu;
  /** with `share`: what the cldemo process itself cost (absent if it died before writing it) */
  share?: OwnShare;
}

/** The whole host's CPU over an interval (/proc/stat), every core together. */
export interface HostCpu {
  /** CPU seconds spent on anything (user, system, irq, steal) */
  busyS: number;
  /** CPU seconds no core had work (idle + iowait) */
  idleS: number;
  cores: number;
}

export interface CliOptions {
  topology?: string;
  json?: boolean;
  timeoutMs?: number;
  /** keep each stderr line with its arrival time (progress lines, when not --json) */
  stamps?: boolean;
  /** read /proc/stat before and after */
  hostCpu?: boolean;
  /** weigh the process from inside: its own CPU, peak RSS and TCP connections (lib/rss-at-exit) */
  share?: boolean;
}

export interface FigureOptions {
  unit?: string;
  target?: number;
  lowerIsBetter?: boolean;
  error?: string;
  note?: string;
  /**
   * What a value below zero means, for a figure that is one observer's time of an event minus
   * another's, where the second event can come first (e.g. a container's address answers
   * before Docker reports its start). Without it a figure cannot be negative by its
   * definition: a sample below zero is an error (a clock or the measurement is wrong).
   */
  signed?: string;
}

/** One row of the suite's table and JSON. */
export interface Figure {
  id: string;
  name: string;
  unit: string;
  n: number;
  value: number | null;
  median?: number | null;
  p95?: number | null;
  min?: number | null;
  max?: number | null;
  target?: number;
  met?: boolean;
  error?: string;
  note?: string;
  /** the figure may be below zero: `below_zero` says what that means */
  signed?: boolean;
  below_zero?: string;
  scenario?: string;
}

export interface MemoryFigures {
  baselineMiB: number;
  peakMiB: number;
  peakAboveBaselineMiB: number;
}

/**
 * Runs `cldemo ARGS -t TOPOLOGY [--json]` and times it from spawn to exit. A failed or
 * timed-out command is a result (ok: false), not an exception: the suite records it and
 * goes on, so one slow step does not hide every other figure.
 */
export function cldemo(args: string[], { topology, json = true, timeoutMs = 600_000, stamps = false, hostCpu = false, share = false }: CliOptions = {}): Promise<CliRun> {
  const shareDir = share ? mkdtempSync(join(tmpdir(), 'cldemo-share-')) : undefined;
  const shareFile = shareDir && join(shareDir, 'share.json');
  const argv = [...(shareFile ? ['--import', SHARE_PRELOAD] : []), CLI, ...args, ...(topology ? ['-t', topology] : []), ...(json ? ['--json'] : [])];
  return new Promise((done) => {
    const cpu = hostCpu ? cpuMeter() : undefined;
    const started = performance.now();
    const child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...(shareFile ? { CLDEMO_RSS_FILE: shareFile } : {}) } });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const stderrLines: { ms: number; line: string }[] = [];
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!stamps) return;
      const ms = performance.now() - started;
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) stderrLines.push({ ms, line });
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      let doc: unknown;
      try {
        doc = json ? JSON.parse(stdout) : undefined;
      } catch {
        doc = undefined;
      }
      const ok = code === 0 && !timedOut;
      const error = ok ? undefined : timedOut ? `timed out after ${timeoutMs} ms` : `exit ${code}: ${firstLines(stderr, 4)}`;
      if (stamps && partial.trim()) stderrLines.push({ ms, line: partial });
      let own: OwnShare | undefined;
      if (shareDir && shareFile) {
        try {
          own = JSON.parse(readFileSync(shareFile, 'utf8')) as OwnShare;
        } catch {
          own = undefined; // killed before its exit handler ran
        }
        rmSync(shareDir, { recursive: true, force: true });
      }
      done({ command: `cldemo ${args.join(' ')}`, ok, ms, code, doc, stdout, stderr, error, ...(stamps ? { stderrLines } : {}), ...(cpu ? { hostCpu: cpu.stop() } : {}), ...(own ? { share: own } : {}) });
    });
  });
}

/** Like `cldemo` but a failure is fatal: for steps whose figure is not the point (setup). */
export async function cldemoOrThrow(args: string[], opts?: CliOptions): Promise<CliRun> {
  const r = await cldemo(args, opts);
  if (!r.ok) throw new Error(`${r.command} failed: ${r.error}`);
  return r;
}

/** USER_HZ: the unit of /proc/stat's times */
let ticksPerSecond: number | undefined;

/** /proc/stat's first line: [busy, idle] in ticks, every core together. */
function cpuTicks(): [number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4]; // idle + iowait; guest time is already inside user
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return [total - idle, idle];
}

/** Starts measuring the host's CPU; `stop()` gives what every core did since. */
export function cpuMeter(): { stop(): HostCpu } {
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const hz = ticksPerSecond;
  const [busy0, idle0] = cpuTicks();
  return {
    stop() {
      const [busy1, idle1] = cpuTicks();
      return { busyS: (busy1 - busy0) / hz, idleS: (idle1 - idle0) / hz, cores: cpus().length };
    },
  };
}

function firstLines(text: string, n: number): string {
  return text.trim().split('\n').filter(Boolean).slice(0, n).join(' | ').slice(0, 600);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);

/**
 * One row of the suite's table and JSON. `samples` are the repeated measurements (ms unless
 * `unit` says otherwise); a figure measured once has n = 1 and no p95. A figure whose
 * measurement failed carries `error` and a null value, so nothing pretends it was met; so
 * does a figure that cannot be negative and got a sample below zero.
 */
export function figure(id: string, name: string, samples: number[], { unit = 'ms', target, lowerIsBetter = true, note, signed, ...opts }: FigureOptions = {}): Figure {
  const below = signed === undefined ? samples.find((x) => x < 0) : undefined;
  const error = opts.error ?? (below === undefined ? undefined : `a sample below zero (${round(below)} ${unit}), which this figure cannot be by its definition: a clock or the measurement is wrong`);
  const ok = !error && samples.length > 0 && samples.every(Number.isFinite);
  const value = ok ? percentile(samples, 50) : NaN;
  const p95 = ok && samples.length > 1 ? percentile(samples, 95) : undefined;
  const judged = p95 ?? value; // targets on repeated figures are about the p95
  const met = target === undefined || !ok ? undefined : lowerIsBetter ? judged <= target : judged >= target;
  return {
    id,
    name,
    unit,
    n: samples.length,
    value: round(value),
    ...(samples.length > 1 ? { median: round(value), p95: round(p95 ?? NaN), min: round(Math.min(...samples)), max: round(Math.max(...samples)) } : {}),
    ...(target !== undefined ? { target, met: met ?? false } : {}),
    ...(error ? { error } : {}),
    ...(note ? { note } : {}),
    ...(signed !== undefined ? { signed: true, below_zero: signed } : {}),
  };
}

/** A figure for one CLI step, from several runs of it (failed runs make the figure fail). */
export function stepFigure(id: string, name: string, runs: CliRun[], opts: FigureOptions = {}): Figure {
  const failed = runs.find((r) => !r.ok);
  return figure(id, name, runs.map((r) => r.ms), { ...opts, error: failed ? `${failed.command}: ${failed.error}` : opts.error });
}

/**
 * The host's used memory (MemTotal - MemAvailable, what the labs and containers cost),
 * sampled every `everyMs`; `stop()` gives the baseline at start and the peak seen.
 */
export function sampleMemory(everyMs = 250): { stop(): MemoryFigures } {
  const used = (): number => {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(info)?.[1]);
    return (kib('MemTotal') - kib('MemAvailable')) / 1024;
  };
  const baseline = used();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, used());
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, used());
      return { baselineMiB: Math.round(baseline), peakMiB: Math.round(peak), peakAboveBaselineMiB: Math.round(peak - baseline) };
    },
  };
}

/** The machine and the versions of everything the numbers depend on. */
export function machineInfo(): { machine: { cores: number; cpu: string; memory_gib: number }; versions: Record<string, string> } {
  const out = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.status === 0 ? `${r.stdout}`.trim() : 'unknown';
  };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const commit = out('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = out('git', ['-C', ROOT, 'status', '--porcelain']) !== '';
  return {
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    },
    versions: {
      cldemo: `${pkg.version} (${commit}${dirty ? ', uncommitted changes' : ''})`,
      node: process.version,
      frr: out('dpkg-query', ['-W', '-f', '${Version}', 'frr']),
      docker: out('dpkg-query', ['-W', '-f', '${Version}', 'docker.io']),
      kernel: release(),
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
