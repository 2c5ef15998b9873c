/** `cldemo drill FILE`: thin adapter over src/drill. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { messageOf, OperationError, UsageError } from '../errors.js';
import type { FabricContext } from '../fabric/context.js';
import { loadDrill } from '../drill/load.js';
import { rejudge } from '../drill/rejudge.js';
import { runDrill, type DrillReport, type DrillWorld, type FaultPort } from '../drill/run.js';
import { clearImpairments, impair, linkSet, nodeSet } from '../faults.js';
import { runLocal } from '../local-command.js';
import { describeImpairment } from '../topology/impair.js';
import { bad, ok, printJson, table } from '../output.js';
import { shellCommand } from '../transport/shell.js';
import { loadPlanFrom } from './common.js';
import { fabricOptions, withFabric, type FabricOpts } from './fabric-common.js';
import { flowTable, measureLines } from './measure-words.js';

interface DrillOpts extends FabricOpts {
  check?: boolean;
  judge?: string;
}

const CLI = fileURLToPath(new URL('../../bin/cldemo.js', import.meta.url));

export function registerDrill(program: Command): void {
  fabricOptions(program.command('drill').description('run a drill: break the fabric on purpose, step by step, and check what must hold (exit 1 naming what did not)'))
    .argument('<file>', 'the drill (YAML: steps and expectations; cldemo schema drill)')
    .option('--check', 'read the drill and check it against the topology; run nothing')
    .option('--judge <report>', "judge a recorded run (a drill --json report) against this file's limits; touch nothing")
    .action(async (file: string, opts: DrillOpts) => {
      const plan = await loadPlanFrom(opts);
      const drill = loadDrill(file, plan);
      if (opts.check) return void console.log(`${file}: ok (${count(drill.steps.length, 'step')}, ${count(drill.expectations.length, 'expectation')}) on topology ${plan.name}`);
      const report = opts.judge ? rejudge(drill, readReport(opts.judge)) : await withFabric(opts, (ctx) => runDrill(drill, world(ctx, opts.topology, opts.json)));
      if (opts.json) printJson(report);
      else printReport(report, opts.verbose ?? false);
      const judged = report.steps.length + report.expectations.length;
      if (!report.ok) throw new OperationError(`drill ${report.drill}: ${report.failed.length} of ${judged} did not hold\n${report.failed.join('\n')}`);
    });
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function readReport(file: string): DrillReport {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DrillReport;
  } catch (e) {
    throw new UsageError(`--judge ${file}: not a drill report (drill --json): ${messageOf(e)}`);
  }
}

/** The outside of a drill: the fault API in this process, cldemo itself (the same build, the same topology) for `cldemo:` steps. */
function world(ctx: FabricContext, topology: string, quiet?: boolean): DrillWorld {
  const env = { ...process.env, CLDEMO_TOPOLOGY: topology };
  const local = (command: string) => runLocal(command, { env });
  const cldemo = (args: string[]) => local(shellCommand(process.execPath, CLI, ...args, '-t', topology));
  return { ctx, faults: faultPort(ctx), local, cldemo, log: (line) => (quiet ? undefined : process.stderr.write(`${line}\n`)) };
}

/** The faults as `cldemo lab link|node|impair` make them, worded for the report. */
function faultPort(ctx: FabricContext): FaultPort {
  const { plan } = ctx;
  return {
    link: async (endpoint, action) => {
      const r = await linkSet(plan, endpoint, action, { context: ctx });
      return `${r.link} ${action}${r.changed ? '' : ' (it already was)'}`;
    },
    node: async (node, action) => {
      const r = await nodeSet(plan, node, action);
      return `${node} ${r.state}${r.changed ? '' : ' (it already was)'}`;
    },
    impair: async (endpoint, spec) => `${(await impair(plan, endpoint, spec)).link} ${describeImpairment(spec)}`,
    clear: async (endpoint) => `${(await clearImpairments(plan, endpoint)).map((i) => i.link).join(', ') || endpoint} clean`,
  };
}

function printReport(r: DrillReport, verbose: boolean): void {
  const verdict = (o: { ok: boolean }) => (o.ok ? ok('ok') : bad('FAILED'));
  const said = (s: DrillReport['steps'][number]) => (!s.ok ? s.detail ?? '' : s.kind === 'check' ? `held after ${((s.took_ms ?? 0) / 1000).toFixed(1)} s` : '');
  const stepRows = r.steps.map((s) => [String(s.line), s.step, verdict(s), said(s)]);
  console.log(table(['line', 'step', 'result', ''], stepRows));
  const expectRows = r.expectations.map((e) => [String(e.line), e.expect, verdict(e), e.measured]);
  if (expectRows.length) console.log(`\n${table(['line', 'expectation', 'result', 'measured'], expectRows)}`);
  const flows = flowTable(r.measure, verbose);
  console.log(flows ? `\n${flows}\n` : '');
  for (const line of measureLines(r.measure, r.green, null, verbose)) console.log(line);
  console.log(`\ndrill ${r.drill}: ${r.ok ? ok('every step and expectation held') : bad(`${r.failed.length} did not hold`)}`);
}
