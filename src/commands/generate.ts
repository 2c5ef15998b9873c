import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { generateTopology } from '../topology/generate.js';

const count = (min: number, max: number) => (v: string, name: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} ${v}: expected a whole number from ${min} to ${max}`);
  return n;
};

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
        spines: count(1, 16)(o.spines, 'spines'),
        leaves: count(1, 128)(o.leaves, 'leaves'),
        serversPerLeaf: count(1, 48)(o.serversPerLeaf, 'servers-per-leaf'),
        containersPerServer: count(0, 1000)(o.containersPerServer, 'containers-per-server'),
        subnet: o.subnet,
        name: o.name,
        mgmtSubnet: o.mgmtSubnet,
      });
      process.stdout.write(text);
    });
}
