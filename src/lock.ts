/**
 * One run at a time: a lock file per topology (fabric commands) and per lab, created with
 * O_EXCL and holding who took it. A second run is refused at once, naming the holder; a lock
 * whose process is gone is taken over, safely even when two runs find it stale at once.
 * Fabric locks live where the user running cldemo can write (user-state.ts); lab locks with
 * the root-only lab state. No command takes both.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { OperationError } from './errors.js';
import { labStateRoot } from './lab/state.js';
import { ensurePrivateDir, fsReason, userStateDir } from './user-state.js';
import { readProcStat } from './proc-stat.js';

export interface LockHolder {
  pid: number;
  /** the process's start time in clock ticks since boot (/proc/PID/stat field 22): tells a reused pid apart */
  start: string;
  host: string;
  command: string;
  since: string; // ISO time
}

export type LockKind = 'fabric' | 'lab';

/**
 * A lab's lock: beside the labs' state, but not inside a lab's own directory (lab down removes
 * that), and under a name no topology can have (a lab named `locks` would have had it as its
 * own). A topology's (fabric) lock: in the user's own state directory, since an operator
 * driving real boxes is rarely root and /var/lib/cldemo is root's.
 */
export function lockDir(kind: LockKind): string {
  return kind === 'lab' ? join(labStateRoot(), '.locks') : userStateDir();
}

export function lockPath(name: string, kind: LockKind): string {
  return join(lockDir(kind), `${name}.${kind}.lock`);
}

/** Thrown when another live run holds the lock. Exit 1. */
export class LockedError extends OperationError {
  readonly holder: LockHolder;
  constructor(what: string, path: string, holder: LockHolder) {
    super(
      `${what} is locked by another run: pid ${holder.pid} (${holder.command}) since ${holder.since}${holder.host !== hostname() ? ` on ${holder.host}` : ''}; ` +
        `wait for it to finish (lock file ${path})`,
    );
    this.holder = holder;
  }
}

export interface Lock {
  readonly path: string;
  release(): void;
}

const held = new Set<Lock>();
let exitHookInstalled = false;

/** Takes the lock or throws LockedError. Sync on purpose: signal and exit handlers release it. */
export function acquireLock(name: string, kind: LockKind, command = commandLine()): Lock {
  const path = lockPath(name, kind);
  ensurePrivateDir(lockDir(kind), kind === 'lab' ? 'the lab lock directory' : 'the lock directory');
  const me: LockHolder = { pid: process.pid, start: processStart(process.pid) ?? '', host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, me)) return remember(path, me);
    const holder = readHolder(path);
    if (holder === undefined) continue; // released between our create and our read
    if (holderIsAlive(holder)) throw new LockedError(`${kind === 'lab' ? 'lab' : 'topology'} ${name}`, path, holder);
    takeOver(path, holder);
  }
  throw new OperationError(`cannot take the lock ${path}: it keeps changing hands; try again`);
}

function tryCreate(path: string, me: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OperationError(`cannot create the lock ${path}: ${fsReason(e)}`);
  }
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The holder named in the file; a half-written or unreadable file counts as a dead holder. */
function readHolder(path: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (Number.isInteger(h.pid)) return h;
  } catch {
    // a run killed between create and write leaves an empty file
  }
  return { pid: 0, start: '', host: hostname(), command: 'unknown', since: 'unknown' };
}

/** Whether the process a lock names still runs (another machine's: assumed so). */
export function holderIsAlive(h: Pick<LockHolder, 'pid' | 'start' | 'host'>): boolean {
  if (h.host !== hostname()) return true; // cannot tell; never steal another machine's lock
  if (h.pid <= 0) return false;
  const start = processStart(h.pid);
  if (start === undefined) return false;
  return h.start === '' || start === h.start;
}

/**
 * Moves the stale file aside (atomic: only one run gets it), and checks that what it moved is
 * the stale lock it judged: if a faster run already replaced it with a live one, that one goes back.
 */
function takeOver(path: string, stale: LockHolder): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readHolder(aside);
  if (moved && (moved.pid !== stale.pid || moved.start !== stale.start || moved.since !== stale.since)) {
    try {
      linkSync(aside, path); // fails if yet another run created one meanwhile: then that one holds it
    } catch {
      // nothing to restore over
    }
  }
  unlinkSync(aside);
}

function remember(path: string, me: LockHolder): Lock {
  const lock: Lock = {
    path,
    release() {
      if (!held.delete(lock)) return;
      const h = readHolder(path);
      if (h && h.pid === me.pid && h.since === me.since) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
  held.add(lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', releaseAllLocks);
  }
  return lock;
}

/** Every lock this process holds; also runs on exit, so process.exit() never leaves one behind. */
function releaseAllLocks(): void {
  for (const l of [...held]) l.release();
}

/** Runs `work` holding the lock; released however it ends. */
export async function withLock<T>(name: string, kind: LockKind, work: () => Promise<T>): Promise<T> {
  const lock = acquireLock(name, kind);
  try {
    return await work();
  } finally {
    lock.release();
  }
}

export function processStart(pid: number): string | undefined {
  return readProcStat(pid)?.start;
}

export function commandLine(): string {
  const [, script, ...args] = process.argv;
  return ['cldemo', ...args].join(' ') || script || 'cldemo';
}
