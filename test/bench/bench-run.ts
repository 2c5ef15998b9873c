/**
 * Runs a compiled bench script once as the bench suites do: `--json` into a temporary
 * directory of its own, the report read back and the directory removed. Not a suite.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchRun<T> {
  run: SpawnSyncReturns<string>;
  report: T;
}

export function runBenchJson<T>(script: string, args: string[], timeoutMs: number): BenchRun<T> {
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-bench-run-'));
  try {
    const jsonFile = join(dir, 'bench.json');
    const run = spawnSync(process.execPath, [script, ...args, '--json', jsonFile], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
    return { run, report: JSON.parse(readFileSync(jsonFile, 'utf8')) as T };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
