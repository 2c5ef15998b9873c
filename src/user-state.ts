/**
 * Where cldemo keeps what it writes for itself outside a lab (the fabric locks): somewhere
 * the user running it can write, root or not, readable by that user alone. A lab's own state
 * (and its lock) stays with the lab, under the root-only labStateRoot().
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { OperationError } from './errors.js';

/**
 * `$XDG_RUNTIME_DIR/cldemo` when that directory is this user's (the XDG rule: owned by the
 * user; a root shell's /run/user/0 left in the environment of another user does not count),
 * else `~/.cache/cldemo`.
 */
export function userStateDir(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime && isAbsolute(runtime) && ownedDir(runtime)) return join(runtime, 'cldemo');
  return join(home(), '.cache', 'cldemo');
}

/** $HOME as this process sees it (os.homedir() reads the environment the process started with), else the password database's. */
function home(): string {
  return process.env.HOME || homedir();
}

function ownedDir(dir: string): boolean {
  try {
    const st = statSync(dir);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid());
  } catch {
    return false;
  }
}

/**
 * Creates `dir` (and missing parents) 0700 whatever the umask, or says in one line why it
 * cannot (`what` names what the directory is for).
 */
export function ensurePrivateDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (e) {
    throw new OperationError(`cannot create ${what} ${dir}: ${fsReason(e)}${hint(dir)}`);
  }
}

/** A file system error in a few words, without Node's syscall and path (the message names the path). */
export function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of that path is not a directory';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return err.message;
  }
}

function hint(dir: string): string {
  if (dir.startsWith(join(home(), '.cache'))) return ` (HOME is ${home()}; set XDG_RUNTIME_DIR or HOME to a directory of your own)`;
  return '';
}
