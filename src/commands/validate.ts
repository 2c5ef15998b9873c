import type { Command } from 'commander';
import { TopologyError } from '../errors.js';
import { ok, printJson } from '../output.js';
import { loadPlanSync } from '../providers.js';
import { topologyOption, type TopologyOpts } from './common.js';

export function registerValidate(program: Command): void {
  topologyOption(program.command('validate').description('check the topology file and report every problem at once'))
    .option('--json', 'print one JSON document')
    .action((opts: TopologyOpts) => {
      try {
        const p = loadPlanSync(opts.topology);
        const summary = { switches: p.switches.length, servers: p.servers.length, containers: p.containers.length, links: p.links.length };
        if (opts.json) printJson({ ok: true, file: opts.topology, problems: [], summary });
        else console.log(`${opts.topology}: ${ok('ok')} (${summary.switches} switches, ${summary.servers} servers, ${summary.containers} containers, ${summary.links} links)`);
      } catch (e) {
        if (opts.json && e instanceof TopologyError) {
          printJson({ ok: false, file: opts.topology, problems: e.problems });
          process.exitCode = 2;
          return;
        }
        throw e;
      }
    });
}
