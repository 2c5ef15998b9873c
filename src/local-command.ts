/**
 * A command the user gave to run on this machine (`measure --during`, a drill's `local:`
 * step): `sh -c COMMAND` with the user's environment, its output passed to stderr (stdout
 * stays the report's), its exit status and how long it took returned.
 */
import { spawn } from 'node:child_process';

export interface LocalRun {
  command: string;
  /** null: ended by a signal */
  exit_code: number | null;
  ms: number;
}

export function runLocal(command: string, opts: { timeoutMs?: number; output?: (chunk: Buffer) => void; env?: NodeJS.ProcessEnv } = {}): Promise<LocalRun> {
  const started = Date.now();
  const output = opts.output ?? ((c: Buffer) => process.stderr.write(c));
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    child.stdout.on('data', output);
    child.stderr.on('data', output);
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs);
    child.on('error', () => undefined);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ command, exit_code: code, ms: Date.now() - started });
    });
  });
}
