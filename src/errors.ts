/**
 * Typed errors, caught once at the top of the CLI (src/cli.ts).
 * exitCode 2 = bad input or usage, 1 = an operation or a check failed.
 */

export class CldemoError extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2) {
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
  return `${where}: ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`;
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

/** An operation or a check failed (possibly on several nodes). Exit 1. */
export class OperationError extends CldemoError {
  constructor(message: string) {
    super(message, 1);
  }
}
