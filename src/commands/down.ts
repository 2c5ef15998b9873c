import type { Command } from 'commander';
import { down } from '../fabric/change/down.js';
import { printJson } from '../output.js';
import { fabricOptions, withFabric, type FabricOpts } from './fabric-common.js';
import { failIfNot, printNodeReport, reportJson } from './node-report.js';

export function registerDown(program: Command): void {
  fabricOptions(program.command('down').description("remove this topology's containers and networks, stop redistribute-neighbor"))
    .option('--purge-config', "also put the switches' pre-cldemo configs back")
    .action(async (opts: FabricOpts & { purgeConfig?: boolean }) => {
      const report = await withFabric(opts, (ctx) => down(ctx, { purgeConfig: opts.purgeConfig }), { lock: true, interrupts: true, unchanged: 'nothing to do' });
      if (opts.json) printJson(reportJson(report));
      else printNodeReport(report, 'changed', opts.verbose);
      failIfNot(report, 'down');
    });
}
