import type { Command } from 'commander';
import { generateTopology } from '../topology/generate.js';
import { wholeNumber } from './common.js';

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('print a valid topology of any size (cldemo generate ... > topology.yaml)')
    .requiredOption('--spines <n>', 'spine switches')
    .requiredOption('--leaves <n>', 'leaf switches (one rack each)')
    .requiredOption('--servers-per-leaf <n>', 'servers in each rack')
    .requiredOption('--containers-per-server <n>', 'Apache containers on each server')
    .option('--subnet <cidr>', 'the shared container subnet (default: 172.16.0.0 sized to fit)')
    .option('--name <name>', 'topology name', 'cldemo')
    .option('--mgmt-subnet <cidr>', "the lab's management subnet")
    .action((o: Record<string, string>) => {
      const text = generateTopology({
        spines: wholeNumber('spines', o.spines, 1, 16),
        leaves: wholeNumber('leaves', o.leaves, 1, 128),
        serversPerLeaf: wholeNumber('servers-per-leaf', o.serversPerLeaf, 1, 48),
        containersPerServer: wholeNumber('containers-per-server', o.containersPerServer, 0, 1000),
        subnet: o.subnet,
        name: o.name,
        mgmtSubnet: o.mgmtSubnet,
      });
      process.stdout.write(text);
    });
}
