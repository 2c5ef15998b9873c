#!/usr/bin/env node
/**
 * Scenario 7, fabric faults: the shipped drills (drills/*.yaml), run as a user runs them
 * (`cldemo drill FILE --json`, a new CLI process each), several rounds, so the bench and the
 * users measure the same thing. A drill that requires BFD or graceful restart runs on a lab of
 * the default topology with both on; every other one on a lab of the default topology as it is
 * (`spine-hung` requires BFD off), with bench/drills/leaf-restart-plain.yaml as the baseline
 * of the graceful leaf restart. Per drill and round: the longest loss window of the mesh and
 * the time to green (the drill's own figures), and whether every step and expectation held.
 *
 * Then each drill's last run is judged again (`cldemo drill --judge`) against a copy of the
 * drill whose limits are tightened past what that run measured: it must fail, exit 1, naming
 * the expectation; the table says whether it did.
 *
 *   node dist/bench/faults.js [--plain TOPOLOGY] [--options TOPOLOGY] [--rounds N] [--drills a,b] [--json FILE]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { DrillReport } from 'cldemo/bench';
import { cldemo, figure, percentile, ROOT, type Figure } from './lib/measure.js';
import { tightenDrill } from './lib/tighten.js';

/** The drills the bench runs: the shipped ones, and its own baseline. */
function benchDrills(): string[] {
  const shipped = readdirSync(join(ROOT, 'drills')).filter((f) => f.endsWith('.yaml')).map((f) => join(ROOT, 'drills', f));
  return [...shipped, join(ROOT, 'bench', 'drills', 'leaf-restart-plain.yaml')].sort((a, b) => basename(a).localeCompare(basename(b)));
}

/** Whether a drill needs the lab with BFD and graceful restart on (its `requires:` says true for one of them). */
function needsOptions(file: string): boolean {
  return /^\s+(bfd|graceful_restart):\s*true\b/m.test(readFileSync(file, 'utf8'));
}

export interface DrillRow {
  drill: string;
  /** which lab: the default topology, or the default topology with BFD and graceful restart */
  lab: 'plain' | 'bfd+gr';
  n: number;
  /** the longest loss window of the mesh, ms, per round */
  loss: number[];
  /** the same, ICMP flows only: the network's own loss (HTTP adds TCP's timers) */
  lossIcmp: number[];
  /** to green after the last step, ms, per round */
  toGreen: number[];
  /** rounds in which every step and expectation held */
  held: number;
  /** what did not hold, per round that failed */
  failures: string[];
  /** the drill's first loss-window limit, ms (its headline promise), on every flow or on ICMP flows */
  limitMs?: number;
  limitIcmp?: boolean;
  /** its last run judged against limits tightened past what it measured: the exit, the lines the errors name, the lines tightened, the limits left */
  tightened?: { exit: number | null; named: number[]; lines: number[]; left: string[] };
}

export interface FaultsResult {
  rounds: number;
  rows: DrillRow[];
  figures: Figure[];
  error?: string;
}

export interface FaultsOptions {
  /** the lab of the default topology as it is; without it the drills that run there are left out */
  plain?: string;
  /** the lab of the default topology with BFD and graceful restart; without it the drills that need them are left out */
  options?: string;
  rounds?: number;
  /** only these drills (names without .yaml) */
  only?: string[];
  log?: (m: string) => void;
}

export async function runFaults({ plain, options, rounds = 5, only, log = () => undefined }: FaultsOptions): Promise<FaultsResult> {
  const labOf = (f: string) => (needsOptions(f) ? options : plain);
  const drills = benchDrills().filter((f) => (!only || only.includes(basename(f, '.yaml'))) && labOf(f) !== undefined);
  const rows = new Map<string, DrillRow>();
  const last = new Map<string, DrillReport>();
  let error: string | undefined;
  for (let round = 1; round <= rounds && !error; round++) {
    for (const file of drills) {
      const name = basename(file, '.yaml');
      const lab = needsOptions(file) ? 'bfd+gr' : 'plain';
      log(`7 faults: round ${round}/${rounds}: ${name} (${lab})`);
      const r = await cldemo(['drill', file], { topology: labOf(file)!, timeoutMs: 600_000 });
      const report = r.doc as DrillReport | undefined;
      if (!report?.measure) {
        error = `${name}: no report (${r.error})`;
        break;
      }
      last.set(name, report);
      record(rows, name, lab, report, file);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-bench-drills-'));
  try {
    for (const file of drills) {
      const name = basename(file, '.yaml');
      const row = rows.get(name);
      if (row && last.has(name)) row.tightened = await tightened(file, last.get(name)!, dir, labOf(file)!);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const list = [...rows.values()];
  return { rounds, rows: list, figures: faultFigures(list, error), ...(error ? { error } : {}) };
}

function record(rows: Map<string, DrillRow>, name: string, lab: DrillRow['lab'], report: DrillReport, file: string): void {
  const row = rows.get(name) ?? { drill: name, lab, n: 0, loss: [], lossIcmp: [], toGreen: [], held: 0, failures: [], ...firstLimit(file) };
  rows.set(name, row);
  row.n += 1;
  row.loss.push(report.measure.overall.loss_window_ms);
  row.lossIcmp.push(Math.max(0, ...report.measure.flows.filter((f) => f.kind === 'icmp').map((f) => f.loss_window_ms)));
  if (report.green.ms !== null) row.toGreen.push(report.green.ms);
  if (report.ok) row.held += 1;
  else row.failures.push(...report.failed);
}

/** The drill's first `loss_window: { max: S }` over every flow (or every ICMP flow). */
function firstLimit(file: string): Pick<DrillRow, 'limitMs' | 'limitIcmp'> {
  const m = /loss_window: \{ max: ([\d.]+)(, kind: icmp)? \}/.exec(readFileSync(file, 'utf8'));
  return m ? { limitMs: Number(m[1]) * 1000, limitIcmp: Boolean(m[2]) } : {};
}

/**
 * The drill with every limit below what `report` measured (bench/lib/tighten.ts), judged
 * against that report: `--judge` must exit 1 and name exactly the lines tightened.
 */
async function tightened(file: string, report: DrillReport, dir: string, topology: string): Promise<DrillRow['tightened']> {
  const tight = tightenDrill(readFileSync(file, 'utf8'), report);
  const copy = join(dir, basename(file));
  writeFileSync(copy, tight.text);
  const reportFile = join(dir, `${basename(file)}.json`);
  writeFileSync(reportFile, JSON.stringify(report));
  const r = await cldemo(['drill', copy, '--judge', reportFile], { topology, json: false });
  const named = [...new Set([...r.stderr.matchAll(/^error: [^\n]*?:(\d+): /gm)].map((m) => Number(m[1])))].sort((a, b) => a - b);
  return { exit: r.code, named, lines: tight.lines, left: tight.left };
}

function faultFigures(rows: DrillRow[], error?: string): Figure[] {
  const id = (r: DrillRow, what: string) => `faults.${r.drill.replace(/[^a-z0-9]+/gi, '_')}.${what}`;
  return rows.flatMap((r) => {
    const note = r.held < r.n ? `${r.n - r.held} of ${r.n} rounds did not hold: ${r.failures[0]}` : undefined;
    return [
      figure(id(r, 'loss'), `${r.drill} (${r.lab}): loss window, longest of the mesh`, r.loss, { target: r.limitIcmp ? undefined : r.limitMs, error: r.loss.length ? undefined : (error ?? 'not measured'), note }),
      figure(id(r, 'loss_icmp'), `${r.drill} (${r.lab}): loss window, longest ICMP flow`, r.lossIcmp, { target: r.limitIcmp ? r.limitMs : undefined }),
      ...(r.toGreen.length ? [figure(id(r, 'green'), `${r.drill} (${r.lab}): to green after the last step`, r.toGreen)] : []),
    ].map((f) => ({ ...f, scenario: '7 faults' }));
  });
}

/** `exit 1 (lines 16, 18)` when the judge named exactly the lines tightened; anything else says what went wrong. */
function tightenedWords(t: NonNullable<DrillRow['tightened']>): string {
  const same = t.named.join(',') === t.lines.join(',');
  if (t.exit === 1 && same && t.lines.length) return `exit 1 (line${t.lines.length > 1 ? 's' : ''} ${t.lines.join(', ')})`;
  if (!t.lines.length) return 'nothing to tighten';
  return `exit ${t.exit} naming [${t.named.join(', ')}] of [${t.lines.join(', ')}]: NOT AS TIGHTENED`;
}

/** drill | lab | n | loss (ICMP) median / p95 | loss (every flow) median / p95 | to green median / p95 | limit | held | tightened */
export function formatFaultTable(rows: DrillRow[]): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mp = (xs: number[]) => (xs.length ? `${s(percentile(xs, 50))} / ${s(percentile(xs, 95))}` : '-');
  const body = rows.map((r) => [
    r.drill,
    r.lab,
    String(r.n),
    mp(r.lossIcmp),
    mp(r.loss),
    mp(r.toGreen),
    r.limitMs === undefined ? '' : `${r.limitIcmp ? 'ICMP' : 'all'} <= ${s(r.limitMs)}`,
    `${r.held}/${r.n}`,
    r.tightened ? tightenedWords(r.tightened) : '-',
  ]);
  const head = ['drill', 'lab', 'n', 'loss ICMP median / p95', 'loss all median / p95', 'to green median / p95', 'limit', 'held', 'tightened past measured'];
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { plain: { type: 'string' }, options: { type: 'string' }, rounds: { type: 'string' }, drills: { type: 'string' }, json: { type: 'string' } } });
  if (!values.plain && !values.options) throw new Error('usage: node dist/bench/faults.js [--plain TOPOLOGY] [--options TOPOLOGY] [--rounds N] [--drills a,b] [--json FILE]');
  const only = values.drills?.split(',').map((d) => d.trim()).filter(Boolean);
  const r = await runFaults({ plain: values.plain, options: values.options, rounds: Number(values.rounds ?? 5), only, log: (m) => process.stderr.write(`${m}\n`) });
  console.log(formatFaultTable(r.rows));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(r, null, 2)}\n`);
  if (r.error) {
    console.log(`ERROR ${r.error}`);
    process.exitCode = 1;
  }
}
