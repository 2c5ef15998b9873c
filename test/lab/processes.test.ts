/**
 * Stopping a lab's processes (killAll): SIGKILL, and back only when each is gone from the
 * process table, which is when its parent has reaped it, not when it died. Played with this
 * user's own processes: a `sleep` whose parent (python, which reaps only when told) waits a
 * while after the death before reaping it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { killAll } from '../../src/lab/processes.js';

/** A sleeping child whose parent reaps it `lateMs` after it dies. */
async function lateReaped(lateMs: number): Promise<number> {
  const script = [
    'import subprocess, time',
    "child = subprocess.Popen(['sleep', '600'])",
    'print(child.pid, flush=True)',
    'state = lambda: open(f"/proc/{child.pid}/stat").read().rsplit(") ", 1)[1][0]',
    'deadline = time.time() + 60',
    "while state() != 'Z' and time.time() < deadline: time.sleep(0.02)",
    `time.sleep(${lateMs / 1000})`,
    'child.kill(); child.wait()',
  ].join('\n');
  const parent = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(parent.stdout, 'data')) as [Buffer];
  return Number(line.toString().trim());
}

test('returns once every process is reaped, not merely dead', async () => {
  const pid = await lateReaped(800);
  const started = Date.now();
  expect(await killAll(() => [pid])).toEqual({ running: [], unreaped: [] });
  expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  expect(existsSync(`/proc/${pid}`)).toBe(false);
});

test('bounded: a process still unreaped at the deadline is named, not waited for', async () => {
  // reaped 5 s after it dies; killAll gives it 0.5 s. That it came back while the process was
  // still in the table shows it did not wait (no wall-clock bound: this machine is shared)
  const pid = await lateReaped(5000);
  expect(await killAll(() => [pid], 500)).toEqual({ running: [], unreaped: [pid] });
  expect(existsSync(`/proc/${pid}`)).toBe(true);
  while (existsSync(`/proc/${pid}`)) await new Promise((r) => setTimeout(r, 100));
}, 60_000);

test('a process that appears while it waits (a fork in flight) is killed too', async () => {
  const first = await lateReaped(1500);
  const pids = [first];
  const stopping = killAll(() => pids, 5000);
  const second = await lateReaped(0);
  pids.push(second);
  expect(await stopping).toEqual({ running: [], unreaped: [] });
  expect(existsSync(`/proc/${second}`)).toBe(false);
});
