/**
 * Daemon mode without systemd: the agent re-spawns itself detached in a new session
 * (so it outlives the SSH session that started it) and reports over an IPC channel
 * whether it started, so `rdnbrd` run by hand still fails loudly.
 */
import { spawn } from 'node:child_process';
import { closeSync, readdirSync, readFileSync } from 'node:fs';

const START_TIMEOUT_MS = 15000;

export interface StartReport {
  ready?: boolean;
  pid?: number;
  error?: string;
}

export function spawnDaemon(script: string, args: string[], report: (message: string) => void): Promise<number> {
  const child = spawn(process.execPath, [script, ...args], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(1, `no start report within ${START_TIMEOUT_MS / 1000}s`), START_TIMEOUT_MS);
    const finish = (code: number, message?: string) => {
      clearTimeout(timer);
      if (message) report(message);
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
      resolve(code);
    };
    child.on('message', (m: StartReport) => {
      if (m.ready) finish(0);
      else finish(1, m.error ?? 'failed to start');
    });
    child.on('exit', (code) => finish(code || 1, `exited during start (${code})`));
    child.on('error', (err) => finish(1, err.message));
  });
}

/** In the daemon child: report once, then drop the channel so the parent can exit. */
export function tellParent(message: StartReport): void {
  if (!process.send || !process.connected) return;
  process.send(message, () => process.disconnect());
}

/** O_CLOEXEC as /proc/PID/fdinfo prints flags (octal). */
const O_CLOEXEC = 0o2000000;

/**
 * In the daemon child: closes what it inherited from whoever started the agent (a pipe of the
 * shell or program that ran the deployer's script, say) and has no use for. Node's own
 * descriptors are close-on-exec, so anything above stderr without that flag came from outside;
 * the start report's channel stays until it is dropped. Returns how many were closed.
 */
export function closeInheritedFds(): number {
  const channel = (process.channel as { fd?: number } | undefined)?.fd;
  let closed = 0;
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd <= 2 || fd === channel) continue;
    let flags: number;
    try {
      flags = parseInt(/^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '', 8);
    } catch {
      continue; // the listing's own descriptor, gone by now
    }
    if (!Number.isFinite(flags) || flags & O_CLOEXEC) continue;
    try {
      closeSync(fd);
      closed += 1;
    } catch {
      /* closed meanwhile */
    }
  }
  return closed;
}
