/**
 * Everything the CLI prints goes through here: JSON on stdout (and nothing else there),
 * tables for people, progress on stderr (ora on a TTY, plain lines otherwise).
 */
import chalk from 'chalk';
import ora, { type Ora } from 'ora';
import type { OnProgress } from './fabric/context.js';
import { summarizeChanges, wordChanges } from './summary.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table: columns padded to their widest cell. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => stripAnsi(r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c + ' '.repeat(widths[i] - stripAnsi(c).length)).join('  ').trimEnd();
  return [chalk.bold(line(headers)), ...cells.slice(1).map(line)].join('\n');
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

export const ok = (s: string) => chalk.green(s);
export const bad = (s: string) => chalk.red(s);
export const dim = (s: string) => chalk.dim(s);

/** Per-node progress. Quiet mode (--json) still reports failures on stderr. */
export interface Progress {
  step(node: string, message: string): void;
  done(node: string, message: string): void;
  fail(node: string, message: string): void;
  stop(): void;
}

export function progress(opts: { quiet?: boolean } = {}): Progress {
  if (opts.quiet) return quietProgress();
  // a terminal that reports 0 columns (e.g. `script` without stty) makes ora spin forever
  const tty = Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env.CI;
  return tty ? spinnerProgress() : lineProgress();
}

/** --json: stdout is the document; stderr still says what failed. */
function quietProgress(): Progress {
  return { step() {}, done() {}, fail: (n, m) => process.stderr.write(`${n}: ${m}\n`), stop() {} };
}

/** Not a terminal (CI, a pipe, a log file): one plain line per message. */
function lineProgress(): Progress {
  return {
    step: (n, m) => process.stderr.write(`${n}: ${m}\n`),
    done: (n, m) => process.stderr.write(`${n}: ${m}\n`),
    fail: (n, m) => process.stderr.write(`${n}: FAILED: ${m}\n`),
    stop() {},
  };
}

/** A terminal: ora spinners, one line at a time. */
function spinnerProgress(): Progress {
  const spinners = new Map<string, Ora>();
  const get = (n: string) => {
    let s = spinners.get(n);
    if (!s) {
      s = ora({ stream: process.stderr, discardStdin: false });
      spinners.set(n, s);
    }
    return s;
  };
  // Several nodes progress at once; ora draws one line, so finished lines are persisted.
  let current: Ora | undefined;
  return {
    step(n, m) {
      current?.stop();
      current = get(n);
      current.start(`${n}: ${m}`);
    },
    done(n, m) {
      (current ?? get(n)).succeed(`${n}: ${m}`);
      current = undefined;
    },
    fail(n, m) {
      (current ?? get(n)).fail(`${n}: ${m}`);
      current = undefined;
    },
    stop() {
      current?.stop();
    },
  };
}

/** How the progress lines of a run read. */
interface ShowOptions {
  /** what a node of up or down that needed nothing says */
  unchanged?: string;
  /** a node's finished line lists every change (the default: counts, as the table at the end) */
  verbose?: boolean;
  /** the clock (tests pass their own) */
  now?: () => number;
}

/** The longest a finished line's summary runs: a terminal line of 100 columns holds it beside the node's name and time. */
const DONE_WIDTH = 72;

/**
 * A fabric run's progress events as progress lines. A node of up or down that finished says
 * what it did in one short line, counted as the table at the end counts it, and how long it
 * took (`server01: 1 file, ifreload, network created, 3 containers created (2.1 s)`); with
 * `verbose`, every change in full.
 */
export function showFabricEvents(p: Progress, opts: ShowOptions = {}): OnProgress {
  const now = opts.now ?? Date.now;
  const begun = now();
  // a node's time runs from its first word; one that says nothing before it is done, from the run's start
  const started = new Map<string, number>();
  const took = (node: string) => `${((now() - (started.get(node) ?? begun)) / 1000).toFixed(1)} s`;
  return (e) => {
    if (e.kind === 'step' && !started.has(e.node)) started.set(e.node, now());
    switch (e.kind) {
      case 'step':
        return p.step(e.node, e.doing);
      case 'node-done': {
        if (opts.verbose && e.changes.length) return p.done(e.node, wordChanges(e.changes, e.dryRun).join('; '));
        const what = e.changes.length === 0 ? (opts.unchanged ?? 'unchanged') : summarizeChanges(e.changes, e.dryRun, DONE_WIDTH);
        return p.done(e.node, `${what} (${took(e.node)})`);
      }
      case 'swept':
        return p.done(e.node, `${e.answered}/${e.targets} answered`);
      case 'round':
        return p.step('verify-routes', `${e.holding}/${e.switches} switches hold, ${e.switchesPending} switches and ${e.httpPending} HTTP checks pending`);
    }
  };
}
