/**
 * How the lab (and its image builder) runs host tools: ip, unshare, nsenter, mount,
 * ssh-keygen, apt-get, dpkg-deb, chroot, tar, argv in, no shell in between. The two scripts
 * that set up and boot a node (node.ts) are the exception: they run through /bin/sh inside
 * the node, passed as one argument.
 */
import { spawn } from 'node:child_process';
import { OperationError } from '../errors.js';

class CommandFailed extends OperationError {
  constructor(
    readonly argv: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')}: ${code === null ? 'killed' : `exit ${code}`}${stderr.trim() ? `: ${lastLines(stderr)}` : ''}`);
  }
}

function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and reports how it ended. */
export function execute(cmd: string, args: string[], opts: RunOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => reject(new CommandFailed([cmd, ...args], null, e.message)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // a command that exits before reading its input is judged by its exit code, not EPIPE
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input);
  });
}

/** Runs a command to completion; rejects with its stderr when it fails. */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<Outcome> {
  const out = await execute(cmd, args, opts);
  if (out.code !== 0) throw new CommandFailed([cmd, ...args], out.code, out.stderr.trim() ? out.stderr : out.stdout);
  return out;
}
