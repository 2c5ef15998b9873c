#!/usr/bin/env node
/**
 * What dual stack costs `up`, on the default shape: the same lab (the default topology as
 * its own copy, bdual: lib/labs.ts) brought up from scratch as IPv4 only and as dual stack
 * (examples/dual-stack.yaml: the same topology plus `ipv6:`), alternately, the order swapped
 * every round so neither always runs on a warmer machine. Also, after each `up`, the time
 * until every host route (/32s, and /128s when dual) is on every switch, and `verify-routes`
 * with its HTTP checks.
 *
 *   node dist/bench/dual-stack.js [--rounds N] [--json FILE] [--keep]
 *
 * Between runs `down --purge-config` puts the switches back to their pre-cldemo files and
 * `verify-routes --absent` waits for the fabric to forget, so every `up` starts from scratch.
 * Target: dual stack's `up` median at most 15 % over IPv4 only's. Run it alone
 * (flock -x /tmp/cldemo-cpu.lock): the machine is noisy, the figures are medians of rounds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labDown, labUp, loadPlan } from 'cldemo/bench';
import { ROOT as root } from './lib/measure.js';
import { removeLabOnSignal } from './lib/interrupt.js';
import { LABS, ownCopy } from './lib/labs.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, json: { type: 'string' }, keep: { type: 'boolean' } } });
const rounds = Number(values.rounds);
const TARGET_RATIO = 1.15;

const dir = mkdtempSync(join(tmpdir(), 'cldemo-bench-dual-'));
const dualFile = ownCopy(LABS.bdual, dir, join(root, 'examples/dual-stack.yaml'));
// IPv4 only: the same file without its ipv6: section (and its name line changed, so both are the one lab)
const v4File = join(dir, 'bdual-v4.yaml');
writeFileSync(v4File, readFileSync(dualFile, 'utf8').replace(/^ipv6:.*\n(?: {2}.*\n)*/m, ''));
const plans = { v4: await loadPlan(v4File), dual: await loadPlan(dualFile) };
if (plans.v4.ipv6 || !plans.dual.ipv6) throw new Error('the IPv4-only copy still has ipv6:, or the dual-stack one lost it');

type Kind = keyof typeof plans;
const files: Record<Kind, string> = { v4: v4File, dual: dualFile };

function cldemo(kind: Kind, ...args: string[]): { ms: number; doc: { ok?: boolean; elapsed_ms?: number } } {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [join(root, 'bin/cldemo.js'), ...args, '-t', files[kind], '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  let doc: { ok?: boolean; elapsed_ms?: number };
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`cldemo ${args.join(' ')} (${kind}) printed no JSON (exit ${r.status}): ${r.stderr}`);
  }
  if (r.status !== 0) throw new Error(`cldemo ${args.join(' ')} (${kind}) exit ${r.status}: ${r.stderr.split('\n').slice(0, 6).join('\n')}`);
  return { ms, doc };
}

type Figure = 'up (scratch)' | 'up end -> every host route' | 'verify-routes with HTTP';
const samples: Record<Kind, Record<Figure, number[]>> = {
  v4: { 'up (scratch)': [], 'up end -> every host route': [], 'verify-routes with HTTP': [] },
  dual: { 'up (scratch)': [], 'up end -> every host route': [], 'verify-routes with HTTP': [] },
};

/** One `up` from scratch of `kind`, what follows it, and the way back to nothing. */
function run(kind: Kind): void {
  const s = samples[kind];
  s['up (scratch)'].push(cldemo(kind, 'up').ms);
  const converged = cldemo(kind, 'verify-routes', '--no-dataplane', '--wait', '30');
  if (!converged.doc.ok) throw new Error(`${kind}: the host routes did not all arrive within 30 s of up`);
  s['up end -> every host route'].push(converged.doc.elapsed_ms ?? NaN);
  s['verify-routes with HTTP'].push(cldemo(kind, 'verify-routes', '--wait', '10').ms);
  cldemo(kind, 'down', '--purge-config');
  cldemo(kind, 'verify-routes', '--absent', '--wait', '30');
}

const t0 = Date.now();
await labDown(plans.dual).catch(() => undefined);
const release = values.keep ? () => undefined : removeLabOnSignal(dualFile);
await labUp(plans.dual, { install: false, log: () => undefined });
const labUpMs = Date.now() - t0;
const load: number[] = [];
try {
  for (let i = 0; i < rounds; i++) {
    const order: Kind[] = i % 2 === 0 ? ['v4', 'dual'] : ['dual', 'v4'];
    for (const kind of order) run(kind);
    load.push(loadavg()[0]);
    process.stderr.write(`round ${i + 1}/${rounds} done (${order.join(' then ')})\n`);
  }
} finally {
  if (!values.keep) await labDown(plans.dual);
  release();
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const figures = Object.keys(samples.v4) as Figure[];
const rows = figures.map((name) => {
  const [a, b] = [median(samples.v4[name]), median(samples.dual[name])];
  // each round's own ratio too: the two ran back to back, on the same machine state
  const paired = median(samples.v4[name].map((x, i) => samples.dual[name][i] / x));
  return { name, runs: samples.v4[name].length, v4_median_ms: Math.round(a), dual_median_ms: Math.round(b), ratio: +(b / a).toFixed(3), paired_ratio: +paired.toFixed(3) };
});
const pad = (s: string | number, n: number): string => String(s).padEnd(n);
console.log(`${pad('figure', 30)}${pad('runs', 6)}${pad('IPv4 only', 11)}${pad('dual stack', 12)}${pad('ratio', 8)}${pad('paired', 8)}target`);
for (const r of rows) {
  const target = r.name === 'up (scratch)' ? `<= ${TARGET_RATIO} ${r.ratio <= TARGET_RATIO ? 'yes' : 'NO'}` : '';
  console.log(`${pad(r.name, 30)}${pad(r.runs, 6)}${pad(`${(r.v4_median_ms / 1000).toFixed(2)} s`, 11)}${pad(`${(r.dual_median_ms / 1000).toFixed(2)} s`, 12)}${pad(r.ratio, 8)}${pad(r.paired_ratio, 8)}${target}`);
}
console.log(`(ratio: of the medians; paired: the median of each round's dual/IPv4; lab up ${labUpMs} ms; load ${load.map((l) => l.toFixed(1)).join(' ')}; ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version})`);
if (values.json) writeFileSync(values.json, JSON.stringify({ rows, samples, lab_up_ms: labUpMs, load, cores: cpus().length, node: process.version }, null, 2));
