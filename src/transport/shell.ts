/**
 * Building shell commands: every argument that reaches a shell goes through shellQuote.
 * Topology names are checked when the file is read (rules.ts); a name given on the command
 * line that becomes a file name (`lab capture NODE:IF`) goes through assertSafeName.
 */

import { UsageError } from '../errors.js';

/** Quote one argument for a POSIX shell, so the shell passes it on unchanged. */
export function shellQuote(arg: string | number): string {
  const text = String(arg);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Join a command and its arguments into one safely quoted shell line. */
export function shellCommand(...args: Array<string | number>): string {
  return args.map(shellQuote).join(' ');
}

// Node, interface, container and network names: what Linux, Docker and systemd all accept,
// and nothing a shell would expand. A leading '-' would read as an option.
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,62}$/;

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name);
}

/** Refuse a name that may end up unquoted in a path or command on a node. */
export function assertSafeName(name: string, what = 'name'): string {
  if (!isSafeName(name)) {
    throw new UsageError(
      `${what} ${JSON.stringify(name)} is not allowed: use letters, digits, '_', '.', '@', '-' (at most 63, not starting with '-' or '.')`,
    );
  }
  return name;
}
