#!/usr/bin/env node
/**
 * The end-to-end demo's speed on a running lab (default topology, as its own copy named
 * orchbench: lib/labs.ts): up from scratch, second up, ping-sweep, verify-routes,
 * and the time from the end of ping-sweep to every /32 on every switch.
 *
 *   node dist/bench/fabric.js [--runs N] [--quick] [--json FILE] [--keep]
 *
 * Between runs `down --purge-config` puts the switches back to their pre-cldemo files, so
 * every `up` starts from scratch. Wall times are the CLI as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labDown, labUp, loadPlan } from 'cldemo/bench';
import { ROOT as root } from './lib/measure.js';
import { removeLabOnSignal } from './lib/interrupt.js';
import { LABS, ownCopy } from './lib/labs.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, quick: { type: 'boolean' }, json: { type: 'string' }, keep: { type: 'boolean' } } });
const runs = values.quick ? 2 : Number(values.runs);

const dir = mkdtempSync(join(tmpdir(), 'cldemo-bench-'));
const file = ownCopy(LABS.orchbench, dir);
const plan = await loadPlan(file);

function cldemo(...args: string[]): { ms: number; doc: { ok?: boolean; elapsed_ms?: number } } {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [join(root, 'bin/cldemo.js'), ...args, '-t', file, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  let doc: { ok?: boolean; elapsed_ms?: number };
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`cldemo ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  }
  if (r.status !== 0) throw new Error(`cldemo ${args.join(' ')} exit ${r.status}: ${r.stderr.split('\n').slice(0, 6).join('\n')}`);
  return { ms, doc };
}

type Step = 'up (scratch)' | 'up (second)' | 'ping-sweep' | 'ping-sweep end -> all /32s' | 'verify-routes';
const samples: Record<Step, number[]> = { 'up (scratch)': [], 'up (second)': [], 'ping-sweep': [], 'ping-sweep end -> all /32s': [], 'verify-routes': [] };
const t0 = Date.now();
await labDown(plan).catch(() => undefined);
const release = values.keep ? () => undefined : removeLabOnSignal(plan.file);
await labUp(plan, { install: false, log: () => undefined });
const labUpMs = Date.now() - t0;
try {
  for (let i = 0; i < runs; i++) {
    samples['up (scratch)'].push(cldemo('up').ms);
    samples['up (second)'].push(cldemo('up').ms);
    samples['ping-sweep'].push(cldemo('ping-sweep').ms);
    // started right after ping-sweep returns; elapsed_ms counts from then to all /32s held
    const converge = cldemo('verify-routes', '--no-dataplane', '--wait', '20');
    if (!converge.doc.ok) throw new Error(`run ${i + 1}: the /32s did not all arrive within 20 s`);
    samples['ping-sweep end -> all /32s'].push(converge.doc.elapsed_ms ?? NaN);
    samples['verify-routes'].push(cldemo('verify-routes').ms);
    cldemo('down', '--purge-config');
    cldemo('verify-routes', '--absent', '--wait', '20');
    process.stderr.write(`run ${i + 1}/${runs} done\n`);
  }
} finally {
  if (!values.keep) await labDown(plan);
  release();
  rmSync(dir, { recursive: true, force: true });
}

const targets: Record<Step, number> = { 'up (scratch)': 10_000, 'up (second)': 3_000, 'ping-sweep': 2_000, 'ping-sweep end -> all /32s': 2_000, 'verify-routes': 3_000 };
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const rows = (Object.entries(samples) as [Step, number[]][]).map(([name, xs]) => ({ name, runs: xs.length, median_ms: Math.round(pct(xs, 50)), p95_ms: Math.round(pct(xs, 95)), max_ms: Math.round(Math.max(...xs)), target_ms: targets[name], met: pct(xs, 95) <= targets[name] }));
const pad = (s: string | number, n: number): string => String(s).padEnd(n);
console.log(`${pad('step', 28)}${pad('runs', 6)}${pad('median', 9)}${pad('p95', 9)}${pad('max', 9)}${pad('target', 9)}met`);
for (const r of rows) console.log(`${pad(r.name, 28)}${pad(r.runs, 6)}${pad(r.median_ms + ' ms', 9)}${pad(r.p95_ms + ' ms', 9)}${pad(r.max_ms + ' ms', 9)}${pad(r.target_ms + ' ms', 9)}${r.met ? 'yes' : 'NO'}`);
console.log(`(lab up ${labUpMs} ms; ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version})`);
if (values.json) writeFileSync(values.json, JSON.stringify({ rows, lab_up_ms: labUpMs, cores: cpus().length, mem_gib: Math.round(totalmem() / 2 ** 30), node: process.version, samples }, null, 2));
