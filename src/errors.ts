/**
 * Typed errors, caught once at the top of the CLI (src/cli.ts).
 * exitCode 2 = bad input or usage, 1 = an operation or a check failed, 130/143 = interrupted.
 */

export class CldemoError extends Error {
  readonly exitCode: 1 | 2 | 130 | 143;
  constructor(message: string, exitCode: 1 | 2 | 130 | 143) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** One problem in a topology file, with its position. */
export interface Problem {
  file: string;
  line: number; // 1-based; 0 when unknown
  col: number; // 1-based; 0 when unknown
  message: string;
  hint?: string;
}

export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
  return oneLine(`${where}: ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`);
}

/** The longest part of a user's value an error message echoes. */
const ECHO_LIMIT = 80;

/**
 * A user's value as an error message echoes it: quoted, cut to ECHO_LIMIT characters, and
 * printable ASCII only: a newline cannot forge a second `error:` line, and a look-alike
 * (`leaf0\u0664`, an Arabic-Indic four), a bidi control or a zero-width space shows as the
 * code point it is instead of passing for something else.
 */
export function quote(value: unknown): string {
  const s = String(value);
  let body = '';
  let shown = 0;
  for (const ch of s.length > 4 * ECHO_LIMIT ? s.slice(0, 4 * ECHO_LIMIT) : s) {
    const piece = ch === '\\' ? '\\\\' : ch === "'" ? "\\'" : escapeNonAscii(ch);
    // escapes count too: 80 look-alikes would be 480 characters of \uXXXX
    if (shown === ECHO_LIMIT || body.length + piece.length > 2 * ECHO_LIMIT) return `'${body}'... (${s.length} characters)`;
    body += piece;
    shown++;
  }
  return `'${body}'`;
}

/** Escapes control, line-separating and invisible formatting (bidi, zero-width) characters so that a message always prints as one honest line. */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Cf}]/gu, escapeChar);
}

function escapeNonAscii(s: string): string {
  return s.replace(/[^\u0020-\u007e]/gu, escapeChar);
}

function escapeChar(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const cp = c.codePointAt(0)!;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** Bad input: the topology file is unreadable, malformed or inconsistent. Exit 2. */
export class TopologyError extends CldemoError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'), 2);
    this.problems = problems;
  }
}

/** Bad usage: unknown node, bad flag value. Exit 2. */
export class UsageError extends CldemoError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Something failed on one node. Exit 1. */
export class NodeError extends CldemoError {
  readonly node: string;
  constructor(node: string, message: string) {
    super(`${node}: ${message}`, 1);
    this.node = node;
  }
}

/** A command on a node exited non-zero: names the node, the command, its exit status and the end of its output. Exit 1. */
export class RemoteCommandError extends NodeError {
  constructor(
    node: string,
    /** what the command was for, in words ("starting rdnbrd"); the command itself when it says enough */
    readonly what: string,
    readonly command: string,
    readonly status: number,
    /** the last lines of stderr (stdout when stderr is empty) */
    readonly outputTail: string,
  ) {
    super(node, `${what} failed (exit ${status})${outputTail ? `:\n  ${outputTail.split('\n').join('\n  ')}` : ''}`);
  }
}

/** An operation or a check failed (possibly on several nodes). Exit 1. */
export class OperationError extends CldemoError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
