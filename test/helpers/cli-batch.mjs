// Runs the built CLI's main() once per argv list, all in this one process: what each
// `cldemo ARGS` would print and return, without paying node's start-up (~0.5 s) per run.
// stdin: a JSON list of argv lists; stdout: a JSON list of { code, stdout, stderr }.
import { readFileSync } from 'node:fs';
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
  try {
    code = await main(['node', 'cldemo', ...args]);
  } finally {
    process.stdout.write = real.out;
    process.stderr.write = real.err;
  }
  results.push({ code, stdout, stderr });
}
real.out(JSON.stringify(results));
