/**
 * The one way fabric code runs a command on a node: the exit status is checked here, and a
 * failure becomes a RemoteCommandError naming the node, the command and its output's tail.
 */
import { RemoteCommandError } from '../errors.js';
import type { NodeConnection } from '../transport/node-connection.js';

export interface RemoteOptions {
  /** the command's purpose, for the error ("starting rdnbrd"); defaults to the command */
  what?: string;
  timeoutMs?: number;
  /** exit statuses that are answers, not failures (`test -f` exits 1 for "no"); 'any': every status is */
  okStatus?: number[] | 'any';
}

const DEFAULT_TIMEOUT_MS = 60_000;
const TAIL_LINES = 8;

export interface RemoteResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `command`; resolves with its output when its exit status is 0 (or in `okStatus`). */
export async function runRemote(conn: NodeConnection, command: string, opts: RemoteOptions = {}): Promise<RemoteResult> {
  const r = await conn.exec(command, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  const ok = r.code === 0 || opts.okStatus === 'any' || (opts.okStatus ?? []).includes(r.code);
  if (!ok) throw new RemoteCommandError(conn.node, opts.what ?? command, command, r.code, tail(r.stderr.trim() || r.stdout.trim()));
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** The last lines of a command's output: where the reason for a failure is. */
export function tail(output: string, lines = TAIL_LINES): string {
  return output.split('\n').slice(-lines).join('\n');
}
