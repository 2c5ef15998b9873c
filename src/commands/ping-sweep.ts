import type { Command } from 'commander';
import { OperationError } from '../errors.js';
import { sameFailures } from '../fabric/failures.js';
import { pingSweep, type SweepReport } from '../fabric/change/ping-sweep.js';
import { bad, ok, printJson, table } from '../output.js';
import { fabricOptions, seconds, withFabric, type FabricOpts } from './fabric-common.js';

export function registerPingSweep(program: Command): void {
  fabricOptions(program.command('ping-sweep').description('from each leaf, ping the containers behind it (ping -6 too, dual stack) so it learns their neighbor entries'))
    .option('--subnet', 'ping every host of the shared subnet instead')
    .action(async (opts: FabricOpts & { subnet?: boolean }) => {
      // --subnet pings every address of the subnet: a run that may fill the leaves' tables, so one at a time
      const report = await withFabric(opts, (ctx) => pingSweep(ctx, { subnet: opts.subnet }), { lock: Boolean(opts.subnet) });
      if (opts.json) printJson(report);
      else {
        printSweep(report);
      }
      if (!report.ok) {
        const silent = report.containers.filter((c) => !c.answered || c.answered6 === false).map((c) => c.name);
        const broken = sameFailures(report.leaves.filter((l) => !l.ok).map((l) => ({ node: l.name, error: l.error ?? 'failed' })));
        throw new OperationError([`${silent.length} containers did not answer: ${silent.join(', ')}`, ...broken].join('\n'));
      }
    });
}

function printSweep(report: SweepReport): void {
  const yes = (b: boolean | undefined) => (b ? ok('yes') : bad('no'));
  // dual stack: the IPv6 address and its answer beside the IPv4 ones
  const dual = report.containers.some((c) => c.ip6);
  const rows = report.containers.map((c) => [c.name, c.ip, c.leaf, yes(c.answered), ...(dual ? [c.ip6 ?? '-', yes(c.answered6)] : [])]);
  console.log(table(['container', 'ip', 'leaf', 'answered', ...(dual ? ['ip6', 'answered'] : [])], rows));
  if (report.hosts) console.log(`\n${report.hosts.length} addresses answered: ${report.hosts.map((h) => `${h.ip}@${h.leaf}`).join(' ')}`);
  const all = report.containers.filter((c) => c.answered && c.answered6 !== false).length;
  console.log(`\n${all}/${report.containers.length} containers answered${dual ? ' (both families)' : ''} (${seconds(report.elapsed_ms)})`);
}
