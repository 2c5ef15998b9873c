import type { Command } from 'commander';
import { OperationError } from '../errors.js';
import { sameFailures } from '../fabric/failures.js';
import { pingSweep } from '../fabric/change/ping-sweep.js';
import { bad, ok, printJson, table } from '../output.js';
import { fabricOptions, seconds, withFabric, type FabricOpts } from './fabric-common.js';

export function registerPingSweep(program: Command): void {
  fabricOptions(program.command('ping-sweep').description('from each leaf, ping the containers behind it so it learns their ARP entries'))
    .option('--subnet', 'ping every host of the shared subnet instead')
    .action(async (opts: FabricOpts & { subnet?: boolean }) => {
      // --subnet pings every address of the subnet: a run that may fill the leaves' tables, so one at a time
      const report = await withFabric(opts, (ctx) => pingSweep(ctx, { subnet: opts.subnet }), { lock: Boolean(opts.subnet) });
      if (opts.json) printJson(report);
      else {
        console.log(table(['container', 'ip', 'leaf', 'answered'], report.containers.map((c) => [c.name, c.ip, c.leaf, c.answered ? ok('yes') : bad('no')])));
        if (report.hosts) console.log(`\n${report.hosts.length} addresses answered: ${report.hosts.map((h) => `${h.ip}@${h.leaf}`).join(' ')}`);
        console.log(`\n${report.containers.filter((c) => c.answered).length}/${report.containers.length} containers answered (${seconds(report.elapsed_ms)})`);
      }
      if (!report.ok) {
        const silent = report.containers.filter((c) => !c.answered).map((c) => c.name);
        const broken = sameFailures(report.leaves.filter((l) => !l.ok).map((l) => ({ node: l.name, error: l.error ?? 'failed' })));
        throw new OperationError([`${silent.length} containers did not answer: ${silent.join(', ')}`, ...broken].join('\n'));
      }
    });
}
