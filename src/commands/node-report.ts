/** What up and down say about their report: one table row per node, one summary line, and the exit. */
import { OperationError } from '../errors.js';
import { InterruptedError } from '../interrupt.js';
import { sameFailures } from '../fabric/failures.js';
import type { DownReport } from '../fabric/change/down.js';
import { nodeState, type NodeReport } from '../fabric/change/run-nodes.js';
import { bad, dim, ok, table } from '../output.js';
import { summarizeChanges, wordChanges } from '../summary.js';
import { seconds } from './fabric-common.js';

/** A node of the --json document: the records, and `changes`, the same in words. */
type NodeJson = Omit<NodeReport, 'records'> & { changes: string[]; records: NodeReport['records'] };

/** The --json document of up or down: the report, each node's changes worded beside their records. */
export function reportJson<R extends DownReport>(report: R): Omit<R, 'nodes'> & { nodes: NodeJson[] } {
  const dryRun = 'dry_run' in report && report.dry_run === true;
  const nodes = report.nodes.map(({ name, role, ok, records, ...rest }) => ({ name, role, ok, changes: wordChanges(records, dryRun), records, ...rest }));
  return { ...report, nodes };
}

/** An up report is a down report with dry_run: either prints. */
export function printNodeReport(report: DownReport, verb: string, verbose = false): void {
  const width = 100 - 4 - Math.max(4, ...report.nodes.map((n) => n.name.length)) - 6;
  const dryRun = 'dry_run' in report && report.dry_run === true;
  const result = (n: NodeReport): string => {
    // a failure's reason is said once, below the table (several nodes may share it)
    const state = nodeState(n);
    if (state === 'not started') return dim('not started (interrupted)');
    if (state === 'failed') return bad('FAILED');
    if (!n.records.length) return dim('unchanged');
    return verbose ? wordChanges(n.records, dryRun).join('; ') : summarizeChanges(n.records, dryRun, width);
  };
  console.log(table(['node', 'role', 'result'], report.nodes.map((n) => [n.name, n.role, result(n)])));
  const failed = report.nodes.filter((n) => nodeState(n) === 'failed').length;
  const skipped = report.nodes.filter((n) => nodeState(n) === 'not started').length;
  const summary = (report.changed ? `${report.nodes.filter((n) => n.records.length > 0).length} nodes ${verb}` : 'nothing changed') + (skipped ? `, ${skipped} not started` : '');
  console.log(`\n${failed ? bad(`${failed} of ${report.nodes.length} nodes failed`) : skipped ? bad('interrupted') : ok('ok')}: ${summary} (${seconds(report.elapsed_ms)})`);
}

/** Exit 1 (or the interrupt's code) with what was and was not done, unless every node is done. */
export function failIfNot(report: DownReport, what: string): void {
  const done = report.nodes.filter((n) => nodeState(n) === 'done').map((n) => n.name);
  if (report.interrupted) {
    const notStarted = report.nodes.filter((n) => nodeState(n) === 'not started').map((n) => n.name);
    const failed = report.nodes.filter((n) => nodeState(n) === 'failed');
    throw new InterruptedError(
      report.interrupted,
      `${what} stopped: done: ${done.join(', ') || 'none'}; not started: ${notStarted.join(', ') || 'none'}` +
        (failed.length ? `; failed: ${failed.map((n) => n.name).join(', ')}\n${failed.map((n) => `${n.name}: ${n.error}`).join('\n')}` : '') +
        `\nrun \`cldemo ${what}\` again to finish`,
    );
  }
  const failed = report.nodes.filter((n) => nodeState(n) !== 'done');
  if (failed.length === 0) return;
  throw new OperationError(
    `${what} failed on ${failed.length} of ${report.nodes.length} nodes (done: ${done.join(', ') || 'none'})\n` +
      sameFailures(failed.map((n) => ({ node: n.name, error: n.error ?? 'failed' }))).join('\n'),
  );
}
