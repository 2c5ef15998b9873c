/**
 * Ctrl-C and SIGTERM during a run that changes things: the first one stops new work (the
 * AbortSignal the fabric and the lab check between steps) and lets what is in flight finish;
 * the command then says what was and was not done and exits 130 (SIGINT) or 143 (SIGTERM).
 * A second one exits at once.
 */
import { CldemoError } from './errors.js';

const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', 130 | 143> = { SIGINT: 130, SIGTERM: 143 };

/** The run was interrupted; its message says what was and was not done. */
export class InterruptedError extends CldemoError {
  readonly signal: 'SIGINT' | 'SIGTERM';
  constructor(signal: 'SIGINT' | 'SIGTERM', message: string) {
    super(`interrupted by ${signal}: ${message}`, SIGNAL_EXIT[signal]);
    this.signal = signal;
  }
}

export interface Interruptible {
  readonly signal: AbortSignal;
  dispose(): void;
}

/** Which signal stopped the run, if one did. */
export function interruptedBy(signal: AbortSignal | undefined): 'SIGINT' | 'SIGTERM' | undefined {
  return signal?.aborted ? (signal.reason as 'SIGINT' | 'SIGTERM') : undefined;
}

/** Catches SIGINT and SIGTERM until dispose(). */
export function catchInterrupts(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Interruptible {
  const controller = new AbortController();
  const on = (sig: 'SIGINT' | 'SIGTERM') => () => {
    if (controller.signal.aborted) {
      write(`${sig} again: exiting now; nodes in flight may be half done (run the command again to finish)`);
      process.exit(SIGNAL_EXIT[sig]); // the locks are released on exit (lock.ts)
    }
    write(`${sig}: starting nothing new, finishing the nodes in flight (${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to exit at once)`);
    controller.abort(sig);
  };
  const handlers = { SIGINT: on('SIGINT'), SIGTERM: on('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handlers.SIGINT);
      process.off('SIGTERM', handlers.SIGTERM);
    },
  };
}
