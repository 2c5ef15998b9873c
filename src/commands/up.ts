import type { Command } from 'commander';
import { DEFAULT_CONTAINER_PARALLEL } from '../fabric/change/servers.js';
import { up } from '../fabric/change/up.js';
import { printJson } from '../output.js';
import { wholeNumber } from './common.js';
import { fabricOptions, withFabric, type FabricOpts } from './fabric-common.js';
import { failIfNot, printNodeReport, reportJson } from './node-report.js';

export function registerUp(program: Command): void {
  fabricOptions(program.command('up').description('push switch configs, start redistribute-neighbor, create macvlan networks and containers'))
    .option('--dry-run', 'show what would change; touch nothing')
    .option('--container-parallel <n>', 'containers created at once on each server', String(DEFAULT_CONTAINER_PARALLEL))
    .action(async (opts: FabricOpts & { dryRun?: boolean; containerParallel: string }) => {
      const containerParallel = wholeNumber('container-parallel', opts.containerParallel, 1);
      const report = await withFabric(opts, (ctx) => up(ctx, { dryRun: opts.dryRun, containerParallel }), { lock: !opts.dryRun, interrupts: !opts.dryRun });
      if (opts.json) printJson(reportJson(report));
      else printNodeReport(report, report.dry_run ? 'would change' : 'changed', opts.verbose);
      failIfNot(report, 'up');
    });
}
