/**
 * The program: registers the commands (thin adapters in src/commands/) and catches every
 * error once. Exit codes: 0 ok, 1 an operation or check failed, 2 bad input or usage.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import chalk from 'chalk';
import { CldemoError, formatProblem, oneLine, TopologyError, UsageError } from './errors.js';
import { loadPlanFrom } from './commands/common.js';
import { registerGenerate } from './commands/generate.js';
import { registerLab } from './commands/lab.js';
import { registerPlan } from './commands/plan.js';
import { registerRdnbrd } from './commands/rdnbrd.js';
import { registerRender } from './commands/render.js';
import { registerSchema } from './commands/schema.js';
import { registerValidate } from './commands/validate.js';
import { registerUp } from './commands/up.js';
import { registerPingSweep } from './commands/ping-sweep.js';
import { registerVerifyRoutes } from './commands/verify-routes.js';
import { registerDown } from './commands/down.js';
import { registerStatus } from './commands/status.js';
import { registerWhy } from './commands/why.js';
import { registerEvents } from './commands/events.js';
import { registerGraph } from './commands/graph.js';
import { registerCompletion } from './commands/completion.js';
import { registerMeasure } from './commands/measure.js';
import { registerDrill } from './commands/drill.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('cldemo')
    .description('routable Docker containers on a spine/leaf fabric: macvlan + redistribute-neighbor + BGP unnumbered')
    .version(pkg.version)
    .option('--debug', 'show stack traces')
    .showHelpAfterError()
    .exitOverride();
  registerValidate(program);
  registerPlan(program);
  registerRender(program);
  registerLab(program, loadPlanFrom);
  registerSchema(program);
  registerGenerate(program);
  registerRdnbrd(program);
  registerUp(program);
  registerPingSweep(program);
  registerVerifyRoutes(program);
  registerDown(program);
  registerStatus(program);
  registerWhy(program);
  registerEvents(program);
  registerGraph(program);
  registerMeasure(program);
  registerDrill(program);
  registerCompletion(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return report(e, debug);
  }
}

/** 128 + SIGPIPE: the status a shell shows for a Unix tool whose reader went away (`yes | head`) */
const CLOSED_PIPE_EXIT = 141;
let pipesWatched = false;

/**
 * A reader that goes away (`cldemo graph --format html | head`) ends the program quietly, as
 * it ends a Unix tool: Node ignores SIGPIPE and reports EPIPE as an error event instead, which
 * would otherwise crash with a stack trace.
 */
function quietOnClosedPipe(): void {
  if (pipesWatched) return;
  pipesWatched = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(CLOSED_PIPE_EXIT);
      throw e;
    });
  }
}

function report(e: unknown, debug: boolean): number {
  if (e instanceof CommanderError) {
    // help and version are not errors; everything else commander rejects is usage
    return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
  }
  if (e instanceof CldemoError) {
    // a topology problem is one line by construction (formatProblem); other messages may span lines
    // a usage error is one line too: a flag value with a newline must not print a second one
    const lines = e instanceof TopologyError ? e.problems.map(formatProblem) : e instanceof UsageError ? [e.message] : e.message.split('\n');
    for (const line of lines) printError(line);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  printError((e as Error)?.message ?? String(e));
  process.stderr.write(debug ? `${(e as Error)?.stack}\n` : 'run again with --debug for the stack trace\n');
  return 1;
}

/** Longest error line printed: a value pasted into a message must not flood the terminal. */
const MAX_LINE = 2000;

function printError(text: string): void {
  const line = oneLine(text);
  const cut = line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}... (${line.length} characters)` : line;
  process.stderr.write(`${chalk.red('error:')} ${cut}\n`);
}
