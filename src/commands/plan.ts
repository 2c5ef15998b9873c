import type { Command } from 'commander';
import { printJson, table } from '../output.js';
import { topologyOption, loadPlanFrom, type TopologyOpts } from './common.js';

export function registerPlan(program: Command): void {
  topologyOption(program.command('plan').description('show the derived model: addresses, ASNs, neighbors, expected routes, containers'))
    .option('--json', 'print the whole plan as JSON')
    .action(async (opts: TopologyOpts) => {
      const p = await loadPlanFrom(opts);
      if (opts.json) return printJson(p);
      console.log(`topology ${p.name} (${p.provider}), subnet ${p.subnet}, gateway ${p.gateway}\n`);
      console.log(
        table(
          ['switch', 'role', 'asn', 'loopback', 'mgmt', 'bgp neighbors', 'server ports', '/32s'],
          p.switches.map((s) => [
            ...[s.name, s.role, s.asn, s.loopback, s.mgmt.host],
            s.fabricPorts.map((f) => `${f.port}->${f.peer}`).join(' '),
            s.serverPorts.map((f) => `${f.port}->${f.server}`).join(' ') || '-',
            s.expectedRoutes.length,
          ]),
        ),
      );
      console.log();
      console.log(
        table(
          ['server', 'mgmt', 'uplink', 'address', 'leaf port', 'network', 'containers'],
          p.servers.map((s) => [
            ...[s.name, s.mgmt.host, s.uplink.interface, `${s.uplink.address}/${s.uplink.prefixLength}`, `${s.uplink.leaf}:${s.uplink.port}`],
            s.network.name,
            s.containers.map((c) => c.ip).join(' '),
          ]),
        ),
      );
    });
}
