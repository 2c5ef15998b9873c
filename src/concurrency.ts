/** Bounded concurrency (every node gets the same work, but the machine has few cores), and waiting. */
import { availableParallelism } from 'node:os';

/** Most node work waits on processes and sockets, so a little more than one task per core. */
export function defaultConcurrency(): number {
  return Math.max(2, availableParallelism() * 2);
}

/**
 * Runs fn on every item with at most `limit` in flight. Every item runs even if some fail,
 * so a failure never leaves half-started work behind unobserved; the errors are returned.
 * Once `signal` aborts, no new item starts (those in flight finish).
 */
export async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return errors;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
