/**
 * A bench killed by SIGINT or SIGTERM (Ctrl-C, a test's timeout) never reaches its `finally`
 * blocks: the labs it has up are removed here instead, through the CLI, then it exits
 * 130/143. Register each topology while its lab may be up.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './measure.js';

const labs = new Set<string>();
let installed = false;

function onSignal(signal: NodeJS.Signals, code: number): void {
  if (labs.size) process.stderr.write(`${signal}: removing the lab of ${[...labs].join(', ')} before exiting\n`);
  for (const topology of labs) spawnSync(process.execPath, [join(ROOT, 'bin', 'cldemo.js'), 'lab', 'down', '-t', topology], { stdio: 'inherit', timeout: 120_000 });
  process.exit(code);
}

/** Until the returned function is called, a signal removes the lab of `topology` first. */
export function removeLabOnSignal(topology: string): () => void {
  labs.add(topology);
  if (!installed) {
    installed = true;
    process.once('SIGINT', () => onSignal('SIGINT', 130));
    process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  }
  return () => labs.delete(topology);
}
