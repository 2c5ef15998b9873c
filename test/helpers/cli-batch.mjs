// Runs the built CLI's main() once per argv list, all in this one process: what each
// `cldemo ARGS` would print and return, without paying node's start-up (~0.5 s) per run.
// stdin: a JSON list of argv lists; stdout: a JSON list of { code, stdout, stderr, ms }.
// stderr: `run N` before each run, so a run that hangs is named by the caller's timeout.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { main } from '../../dist/cli.js';

const runs = JSON.parse(readFileSync(0, 'utf8'));
const real = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
const results = [];
for (const args of runs) {
  let stdout = '';
  let stderr = '';
  process.stdout.write = (chunk) => ((stdout += String(chunk)), true);
  process.stderr.write = (chunk) => ((stderr += String(chunk)), true);
  process.exitCode = undefined;
  let code;
  real.err(`run ${results.length}\n`);
  const t0 = performance.now();
  try {
    code = await main(['node', 'cldemo', ...args]);
  } finally {
    process.stdout.write = real.out;
    process.stderr.write = real.err;
  }
  results.push({ code, stdout, stderr, ms: Math.round(performance.now() - t0) });
}
real.out(JSON.stringify(results));
