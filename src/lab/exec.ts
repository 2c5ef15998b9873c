/** `lab exec` and `lab capture`: a command, or tcpdump, inside one of the lab's nodes. */
import { spawn, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { OperationError, UsageError } from '../errors.js';
import type { Plan } from '../topology/types.js';
import { assertSafeName } from '../transport/shell.js';
import { nsenterArgs } from './names.js';
import { nsInode } from './processes.js';
import { assertLab, labNodes, requireLabRoot } from './lab-nodes.js';

/** Runs argv inside a node, as `docker exec` would; resolves to its exit code. */
export async function labExec(plan: Plan, node: string, argv: string[], stdio: StdioOptions = 'inherit'): Promise<number> {
  assertLab(plan, 'exec');
  const n = labNodes(plan).find((x) => x.name === node);
  if (!n) throw new UsageError(`no node ${node} in ${plan.file} (nodes: ${labNodes(plan).map((x) => x.name).join(', ')})`);
  if (!argv.length) throw new UsageError('lab exec: no command given (cldemo lab exec NODE -- CMD [ARGS...])');
  requireLabRoot('exec');
  if (nsInode(n.paths.netnsFile) === undefined) throw new OperationError(`lab ${plan.name} is not up (${node} has no namespaces): run cldemo lab up`);
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [...nsenterArgs(n.paths), '--', ...argv], { stdio });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
}

export interface CaptureOptions {
  node: string;
  iface: string;
  count?: number;
  /** the pcap goes here; without it, to stdout (as text when stdout is a terminal) */
  file?: string;
  filter: string[];
}

/** tcpdump inside a node, its pcap written on the host; resolves to tcpdump's exit code. */
export async function labCapture(plan: Plan, opts: CaptureOptions): Promise<number> {
  assertSafeName(opts.iface, 'interface');
  const toTerminal = !opts.file && Boolean(process.stdout.isTTY);
  // -U: every packet is flushed at once, so a pipe to wireshark sees it live
  const argv = ['tcpdump', '-i', opts.iface, ...(toTerminal ? ['-n', '-l'] : ['-U', '-w', '-']), ...(opts.count ? ['-c', String(opts.count)] : []), ...opts.filter];
  const out = opts.file ? openSync(opts.file, 'w') : 'inherit';
  try {
    const code = await labExec(plan, opts.node, argv, ['ignore', out, 'inherit']);
    if (code === 127) throw new OperationError(`tcpdump is not installed on this host (the lab's nodes use the host's programs): apt-get install tcpdump, or run scripts/setup.sh`);
    return code;
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return (signal && constants.signals[signal]) || 1;
}
