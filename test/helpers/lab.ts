/**
 * One way for lab suites to never leave a lab behind: afterAll, and SIGINT/SIGTERM.
 * (Suites that need root say so with `@needs-root WHY` in their docblock: jest.config.js.)
 */
import { spawnSync } from 'node:child_process';
import { afterAll } from '@jest/globals';

const guarded = new Set<string>();
let handlersInstalled = false;

function downByName(name: string): void {
  // env explicitly: a test's process.env is jest's copy (CLDEMO_STATE_DIR may be set there)
  spawnSync(process.execPath, [process.env.CLDEMO_BIN ?? 'bin/cldemo.js', 'lab', 'down', '--name', name], { stdio: 'ignore', timeout: 120_000, env: { ...process.env } });
}

function onSignal(signal: NodeJS.Signals, code: number): void {
  process.stderr.write(`${signal}: removing lab${guarded.size === 1 ? '' : 's'} ${[...guarded].join(', ')} before exiting\n`);
  for (const name of guarded) downByName(name);
  process.exit(code);
}

/**
 * The lab named `name` is removed after the suite (pass or fail) and when the run is
 * interrupted (SIGINT, SIGTERM), by name: no topology file needed.
 */
export function guardLab(name: string): void {
  guarded.add(name);
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.once('SIGINT', () => onSignal('SIGINT', 130));
    process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  }
  afterAll(() => {
    if (!guarded.has(name)) return;
    downByName(name);
    guarded.delete(name);
  });
}
