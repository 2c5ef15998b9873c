import type { Command } from 'commander';
import { printJson, table } from '../output.js';
import type { Plan } from '../topology/types.js';
import { topologyOption, loadPlanFrom, type TopologyOpts } from './common.js';

export function registerPlan(program: Command): void {
  topologyOption(program.command('plan').description('show the derived model: addresses, ASNs, neighbors, expected routes, containers'))
    .option('--json', 'print the whole plan as JSON')
    .action(async (opts: TopologyOpts) => {
      const p = await loadPlanFrom(opts);
      if (opts.json) return printJson(p);
      printPlan(p);
    });
}

/** The plan for people: the topology's addresses, then a table of switches and one of servers. */
function printPlan(p: Plan): void {
  const v6 = p.ipv6;
  console.log(`topology ${p.name} (${p.provider}), subnet ${p.subnet}, gateway ${p.gateway}${v6 ? `; ipv6 prefix ${v6.prefix}, gateway ${v6.gateway}` : ''}\n`);
  printSwitches(p);
  console.log();
  printServers(p);
}

/** dual stack adds a column for each IPv6 figure; an IPv4-only plan prints as it always did */
function dualColumns(p: Plan): <T>(cells: T[], more: T[]) => T[] {
  return (cells, more) => (p.ipv6 ? [...cells, ...more] : cells);
}

function printSwitches(p: Plan): void {
  const dual = dualColumns(p);
  console.log(
    table(
      dual(['switch', 'role', 'asn', 'loopback', 'mgmt', 'bgp neighbors', 'server ports', '/32s'], ['loopback6', '/128s']),
      p.switches.map((s) =>
        dual(
          [
            ...[s.name, s.role, s.asn, s.loopback, s.mgmt.host],
            s.fabricPorts.map((f) => `${f.port}->${f.peer}`).join(' '),
            s.serverPorts.map((f) => `${f.port}->${f.server}`).join(' ') || '-',
            s.expectedRoutes.length,
          ],
          [s.loopback6 ?? '-', s.expectedRoutes6?.length ?? 0],
        ),
      ),
    ),
  );
}

function printServers(p: Plan): void {
  const dual = dualColumns(p);
  const v6 = p.ipv6;
  console.log(
    table(
      dual(['server', 'mgmt', 'uplink', 'address', 'leaf port', 'network', 'containers'], ['address6', 'containers6']),
      p.servers.map((s) =>
        dual(
          [
            ...[s.name, s.mgmt.host, s.uplink.interface, `${s.uplink.address}/${s.uplink.prefixLength}`, `${s.uplink.leaf}:${s.uplink.port}`],
            s.network.name,
            s.containers.map((c) => c.ip).join(' '),
          ],
          [`${s.uplink.address6}/${v6?.prefixLength}`, s.containers.map((c) => c.ip6).join(' ')],
        ),
      ),
    ),
  );
}
