/** `cldemo measure`: thin adapter over src/measure. */
import type { Command } from 'commander';
import { OperationError, UsageError } from '../errors.js';
import { catchInterrupts } from '../interrupt.js';
import { runLocal } from '../local-command.js';
import { DEFAULT_DURATION_MS, DEFAULT_GREEN_TIMEOUT_S, DEFAULT_RATE, measure, type MeasureReport } from '../measure/index.js';
import { DEFAULT_MESH, type MeshOptions, type ProbeKind, type SourceKind } from '../measure/mesh.js';
import { printJson } from '../output.js';
import { flowTable, measureLines } from './measure-words.js';
import { wholeNumber } from './common.js';
import { fabricOptions, withFabric, type FabricOpts } from './fabric-common.js';

interface MeasureOpts extends FabricOpts {
  during?: string;
  duration?: string;
  rate: string;
  kinds: string;
  from: string;
  peers: string;
  greenTimeout: string;
}

export function registerMeasure(program: Command): void {
  fabricOptions(program.command('measure').description('probe the fabric between racks (ICMP and HTTP) while something happens: loss windows, time to green, route churn'))
    .option('--during <command>', 'run this shell command on this machine while the probes run, then wait for green')
    .option('--duration <seconds>', `without --during: how long to watch (default ${DEFAULT_DURATION_MS / 1000})`)
    .option('--rate <n>', 'probes per second per flow (1-50)', String(DEFAULT_RATE))
    .option('--kinds <list>', 'probe kinds: icmp, http', DEFAULT_MESH.kinds.join(','))
    .option('--from <list>', 'probe sources: leaves (their loopback), servers (their own address)', DEFAULT_MESH.sources.join(','))
    .option('--peers <n>', 'racks each rack probes (the next ones in topology order)', String(DEFAULT_MESH.peers))
    .option('--green-timeout <seconds>', 'how long verify-routes may take to pass afterwards', String(DEFAULT_GREEN_TIMEOUT_S))
    .action(async (opts: MeasureOpts) => {
      const settings = parseOptions(opts);
      const interrupts = catchInterrupts();
      try {
        const during = opts.during === undefined ? undefined : () => runLocal(opts.during!);
        const report = await withFabric(opts, (ctx) => measure(ctx, { ...settings, signal: interrupts.signal }, during));
        if (opts.json) printJson(report);
        else printReport(report, opts.verbose ?? false);
        if (!report.ok) throw new OperationError(failure(report, settings.greenTimeoutS));
      } finally {
        interrupts.dispose();
      }
    });
}

function parseOptions(opts: MeasureOpts) {
  const durationS = opts.duration === undefined ? undefined : Number(opts.duration);
  if (durationS !== undefined && !(durationS > 0 && durationS <= 86_400)) throw new UsageError(`--duration ${opts.duration}: give a number of seconds (at most a day)`);
  if (durationS !== undefined && opts.during !== undefined) throw new UsageError('--duration and --during: give one (with --during, the command decides how long)');
  const greenTimeoutS = Number(opts.greenTimeout);
  if (!(greenTimeoutS >= 0 && greenTimeoutS <= 3600)) throw new UsageError(`--green-timeout ${opts.greenTimeout}: give a number of seconds (0-3600)`);
  const mesh: MeshOptions = {
    kinds: list<ProbeKind>('kinds', opts.kinds, ['icmp', 'http']),
    sources: list<SourceKind>('from', opts.from, ['leaves', 'servers']),
    peers: wholeNumber('peers', opts.peers, 1),
  };
  return { rate: wholeNumber('rate', opts.rate, 1, 50), mesh, greenTimeoutS, ...(durationS === undefined ? {} : { durationMs: durationS * 1000 }) };
}

function list<T extends string>(flag: string, value: string, known: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = items.filter((i) => !known.includes(i as T));
  if (items.length === 0 || unknown.length) throw new UsageError(`--${flag} ${value}: expected a comma-separated list of ${known.join(', ')}`);
  return [...new Set(items)] as T[];
}

function printReport(r: MeasureReport, verbose: boolean): void {
  const table = flowTable(r, verbose);
  if (table) console.log(`${table}\n`);
  for (const line of measureLines(r, r.green, r.during, verbose)) console.log(line);
}

function failure(r: MeasureReport, greenTimeoutS: number): string {
  if (r.during && r.during.exit_code !== 0) return `measure: the command failed (exit ${r.during.exit_code ?? 'signal'}): ${r.during.command}`;
  return `measure: the fabric was not green ${greenTimeoutS} s after: ${r.green.failed}`;
}
