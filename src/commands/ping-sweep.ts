import type { Command } from 'commander';
import { OperationError, UsageError } from '../errors.js';
import { sameFailures } from '../fabric/failures.js';
import { DEFAULT_SWEEP_WAIT_MS, pingSweep, type SweepReport } from '../fabric/change/ping-sweep.js';
import { bad, ok, printJson, table } from '../output.js';
import { fabricOptions, seconds, withFabric, type FabricOpts } from './fabric-common.js';

export function registerPingSweep(program: Command): void {
  fabricOptions(program.command('ping-sweep').description('from each leaf, ping the containers behind it (ping -6 too, dual stack) so it learns their neighbor entries'))
    .option('--subnet', 'ping every host of the shared subnet instead')
    .option('--wait <seconds>', `ping a container that did not answer again, every second or so, until it does or this runs out (0: once)`, String(DEFAULT_SWEEP_WAIT_MS / 1000))
    .action(async (opts: FabricOpts & { subnet?: boolean; wait: string }) => {
      const waitS = Number(opts.wait);
      if (opts.wait.trim() === '' || !Number.isFinite(waitS) || waitS < 0) throw new UsageError(`--wait ${opts.wait}: give a number of seconds`);
      // --subnet pings every address of the subnet: a run that may fill the leaves' tables, so one at a time
      const report = await withFabric(opts, (ctx) => pingSweep(ctx, { subnet: opts.subnet, waitMs: waitS * 1000 }), { lock: Boolean(opts.subnet) });
      if (opts.json) printJson(report);
      else {
        printSweep(report);
      }
      if (!report.ok) {
        const silent = report.containers.filter((c) => !c.answered || c.answered6 === false).map((c) => c.name);
        const broken = sameFailures(report.leaves.filter((l) => !l.ok).map((l) => ({ node: l.name, error: l.error ?? 'failed' })));
        const asked = `pinged for ${seconds(report.wait_ms)}`;
        throw new OperationError([`${silent.length} containers did not answer (${asked}): ${silent.join(', ')}`, ...broken].join('\n'));
      }
    });
}

function printSweep(report: SweepReport): void {
  const yes = (b: boolean | undefined) => (b ? ok('yes') : bad('no'));
  // dual stack: the IPv6 address and its answer beside the IPv4 ones
  const dual = report.containers.some((c) => c.ip6);
  // a container that needed more than one round (or never answered) says how many it was given
  const retried = report.containers.some((c) => c.tries > 1);
  const rows = report.containers.map((c) => [c.name, c.ip, c.leaf, yes(c.answered), ...(dual ? [c.ip6 ?? '-', yes(c.answered6)] : []), ...(retried ? [String(c.tries)] : [])]);
  console.log(table(['container', 'ip', 'leaf', 'answered', ...(dual ? ['ip6', 'answered'] : []), ...(retried ? ['rounds'] : [])], rows));
  if (report.hosts) console.log(`\n${report.hosts.length} addresses answered: ${report.hosts.map((h) => `${h.ip}@${h.leaf}`).join(' ')}`);
  const all = report.containers.filter((c) => c.answered && c.answered6 !== false).length;
  const late = report.containers.filter((c) => c.answered && c.answered6 !== false && c.tries > 1).length;
  const again = late > 0 ? `, ${late} of them only when pinged again` : '';
  console.log(`\n${all}/${report.containers.length} containers answered${dual ? ' (both families)' : ''}${again} (${seconds(report.elapsed_ms)})`);
}
