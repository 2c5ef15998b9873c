/** Facts about this host the lab acts on: who we run as, and what is mounted where. */
import { readFileSync } from 'node:fs';
import { OperationError } from '../errors.js';

/** Throws unless we run as root; `why` says what needs it and how to run it. */
export function requireRoot(why: string): void {
  if (process.getuid?.() !== 0) throw new OperationError(why);
}

export interface Mount {
  target: string;
  fstype: string;
}

/** /proc/self/mounts, one entry per line (mount point and file system type). */
export function mounts(): Mount[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[1] !== undefined && f[2] !== undefined)
    .map((f) => ({ target: f[1], fstype: f[2] }));
}
