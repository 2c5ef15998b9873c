/**
 * Daemon mode without systemd: the agent re-spawns itself detached in a new session
 * (so it outlives the SSH session that started it) and reports over an IPC channel
 * whether it started, so `rdnbrd` run by hand still fails loudly.
 */
import { spawn } from 'node:child_process';

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
