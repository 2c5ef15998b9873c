/** `cldemo lab capture NODE:IF`: tcpdump inside a lab node; pcap to a file or to stdout. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { labCapture } from '../lab/exec.js';
import type { Plan } from '../topology/types.js';
import { topologyOption, wholeNumber } from './common.js';

type Load = (opts: { topology?: string }) => Promise<Plan>;

export function registerCapture(lab: Command, load: Load): void {
  topologyOption(
    lab
      .command('capture')
      .description('capture packets on a node\'s interface with tcpdump: pcap to -w FILE or stdout (| wireshark -k -i -)')
      .argument('<node:interface>', 'e.g. leaf01:swp1')
      .argument('[filter...]', 'a tcpdump filter expression, e.g. arp or icmp'),
  )
    .option('-c, --count <n>', 'stop after this many packets')
    .option('-w, --write <file>', 'write the pcap to FILE instead of stdout')
    .action(async (target: string, filter: string[], opts: { topology: string; count?: string; write?: string }) => {
      const [node, iface] = target.split(':');
      if (!node || !iface) throw new UsageError(`capture ${target}: give NODE:INTERFACE, e.g. leaf01:swp1`);
      const count = opts.count === undefined ? undefined : wholeNumber('count', opts.count, 1);
      process.exitCode = await labCapture(await load(opts), { node, iface, count, file: opts.write, filter });
    });
}
