/**
 * One way for lab suites to never leave a lab behind: afterAll, and a watchdog for when jest
 * itself dies (SIGINT, SIGTERM, SIGKILL, a CI timeout) before afterAll can run.
 * (Suites that need root say so with the needs-root docblock line: jest.config.js.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll } from '@jest/globals';

const bin = () => resolve(process.env.CLDEMO_BIN ?? 'bin/cldemo.js');

function downByName(name: string): void {
  // env explicitly: a test's process.env is jest's copy (CLDEMO_STATE_DIR may be set there)
  spawnSync(process.execPath, [bin(), 'lab', 'down', '--name', name], { stdio: 'ignore', timeout: 120_000, env: { ...process.env } });
}

/**
 * A detached process that waits for this one to die and then removes the lab. Signal
 * handlers cannot do this from a test: jest gives each test file its own `process` object,
 * whose listeners never hear the real process's signals.
 */
const WATCHDOG = `
const [pid, bin, name] = process.argv.slice(1);
const alive = () => { try { process.kill(Number(pid), 0); return true; } catch { return false; } };
const timer = setInterval(() => {
  if (alive()) return;
  clearInterval(timer);
  require('node:child_process').spawnSync(process.execPath, [bin, 'lab', 'down', '--name', name], { stdio: 'ignore', timeout: 120000 });
}, 500);
`;

function watchdog(name: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', WATCHDOG, String(process.pid), bin(), name], { detached: true, stdio: 'ignore', env: { ...process.env } });
  child.unref();
  return child;
}

/**
 * The lab named `name` is removed after the suite (pass or fail), and, should jest be killed
 * first, by a watchdog as soon as jest is gone: by name, no topology file needed.
 */
export function guardLab(name: string): void {
  const dog = watchdog(name);
  afterAll(() => {
    dog.kill();
    downByName(name);
  });
}
