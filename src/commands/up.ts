import type { Command } from 'commander';
import { OperationError } from '../errors.js';
import { InterruptedError } from '../interrupt.js';
import { DEFAULT_CONTAINER_PARALLEL } from '../fabric/servers.js';
import { up, type UpReport } from '../fabric/up.js';
import { bad, dim, ok, printJson, table } from '../output.js';
import { sameFailures } from '../fabric/failures.js';
import { summarizeChanges } from '../summary.js';
import { wholeNumber } from './common.js';
import { fabricOptions, seconds, withFabric, type FabricOpts } from './fabric-common.js';

export function registerUp(program: Command): void {
  fabricOptions(program.command('up').description('push switch configs, start redistribute-neighbor, create macvlan networks and containers'))
    .option('--dry-run', 'show what would change; touch nothing')
    .option('--container-parallel <n>', 'containers created at once on each server', String(DEFAULT_CONTAINER_PARALLEL))
    .action(async (opts: FabricOpts & { dryRun?: boolean; containerParallel: string }) => {
      const containerParallel = wholeNumber('container-parallel', opts.containerParallel, 1);
      const report = await withFabric(opts, (ctx) => up(ctx, { dryRun: opts.dryRun, containerParallel }), { lock: !opts.dryRun, interrupts: !opts.dryRun });
      if (opts.json) printJson(report);
      else printNodeReport(report, report.dry_run ? 'would change' : 'changed', opts.verbose);
      failIfNot(report, 'up');
    });
}

export function printNodeReport(report: Omit<UpReport, 'dry_run'> & { dry_run?: boolean }, verb: string, verbose = false): void {
  const width = 100 - 4 - Math.max(4, ...report.nodes.map((n) => n.name.length)) - 6;
  const result = (n: UpReport['nodes'][number]): string => {
    // a failure's reason is said once, below the table (several nodes may share it)
    if (n.skipped) return dim('not started (interrupted)');
    if (!n.ok) return bad('FAILED');
    if (!n.changes.length) return dim('unchanged');
    return verbose ? n.changes.join('; ') : summarizeChanges(n.changes, width);
  };
  console.log(table(['node', 'role', 'result'], report.nodes.map((n) => [n.name, n.role, result(n)])));
  const failed = report.nodes.filter((n) => !n.ok && !n.skipped).length;
  const skipped = report.nodes.filter((n) => n.skipped).length;
  const summary = (report.changed ? `${report.nodes.filter((n) => n.changes.length > 0).length} nodes ${verb}` : 'nothing changed') + (skipped ? `, ${skipped} not started` : '');
  console.log(`\n${failed ? bad(`${failed} of ${report.nodes.length} nodes failed`) : skipped ? bad('interrupted') : ok('ok')}: ${summary} (${seconds(report.elapsed_ms)})`);
}

export function failIfNot(report: Omit<UpReport, 'dry_run'>, what: string): void {
  const done = report.nodes.filter((n) => n.ok).map((n) => n.name);
  if (report.interrupted) {
    const notStarted = report.nodes.filter((n) => n.skipped).map((n) => n.name);
    const failed = report.nodes.filter((n) => !n.ok && !n.skipped);
    throw new InterruptedError(
      report.interrupted,
      `${what} stopped: done: ${done.join(', ') || 'none'}; not started: ${notStarted.join(', ') || 'none'}` +
        (failed.length ? `; failed: ${failed.map((n) => n.name).join(', ')}\n${failed.map((n) => `${n.name}: ${n.error}`).join('\n')}` : '') +
        `\nrun \`cldemo ${what}\` again to finish`,
    );
  }
  const failed = report.nodes.filter((n) => !n.ok);
  if (failed.length === 0) return;
  throw new OperationError(
    `${what} failed on ${failed.length} of ${report.nodes.length} nodes (done: ${done.join(', ') || 'none'})\n` + sameFailures(failed.map((n) => ({ node: n.name, error: n.error ?? 'failed' }))).join('\n'),
  );
}
