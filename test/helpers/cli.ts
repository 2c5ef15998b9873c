/** Runs the built CLI (npm test builds first) the way a user would. */
import { spawnSync } from 'node:child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, ['bin/cldemo.js', ...args], {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Many runs of the built CLI in one node process (test/helpers/cli-batch.mjs): the same
 * main() bin/cldemo.js calls, for suites that run it dozens of times.
 */
export function runCliBatch(runs: string[][], opts: { timeoutMs?: number } = {}): Array<CliResult & { ms: number }> {
  const r = spawnSync(process.execPath, ['test/helpers/cli-batch.mjs'], {
    input: JSON.stringify(runs),
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const last = /run (\d+)\n(?![\s\S]*run \d+\n)/.exec(r.stderr ?? '');
    const at = last ? ` during cldemo ${runs[Number(last[1])].join(' ')}` : '';
    throw new Error(`cli-batch failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''})${at}: ${(r.stderr ?? '').replace(/^run \d+\n/gm, '').slice(-2000)}`);
  }
  return JSON.parse(r.stdout) as Array<CliResult & { ms: number }>;
}
