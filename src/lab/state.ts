/** Where a lab keeps everything it creates (CLDEMO_STATE_DIR moves it, for tests and benches). */
import { join } from 'node:path';
import { ensurePrivateDir } from '../user-state.js';

/** Where every lab on this host keeps its state: one directory per lab, named after it. */
export function labStateRoot(): string {
  return process.env.CLDEMO_STATE_DIR ?? '/var/lib/cldemo';
}

export function labStateDir(planName: string): string {
  return join(labStateRoot(), planName);
}

/**
 * Creates `dir` (and missing parents) 0700 whatever the umask: a lab's state holds its SSH
 * keys and the record `lab down` acts on as root.
 */
export function privateDir(dir: string): void {
  ensurePrivateDir(dir, 'the lab state directory');
}
