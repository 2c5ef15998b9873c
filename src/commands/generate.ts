import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { generateTopology, type GenerateOptions } from '../topology/generate.js';
import { wholeNumber } from './common.js';

/** `N` or `N,N,...`: one count for all, or one per item. */
function counts(flag: string, value: string, min: number, max: number): number | number[] {
  const parts = value.split(',');
  const nums = parts.map((p) => wholeNumber(flag, p.trim(), min, max));
  return parts.length === 1 ? nums[0] : nums;
}

const optional = (flag: string, value: string | undefined, min: number, max: number) => (value === undefined ? undefined : wholeNumber(flag, value, min, max));

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('print a valid topology of any size and shape (cldemo generate ... > topology.yaml)')
    .requiredOption('--spines <n>', 'spine switches')
    .requiredOption('--leaves <n>', 'leaf switches (one rack each)')
    .requiredOption('--servers-per-leaf <n[,n...]>', 'servers in each rack: one number, or one per leaf (0: a leaf without servers)')
    .requiredOption('--containers-per-server <n[,n...]>', 'Apache containers on each server: one number, or one per server')
    .option('--subnet <cidr>', 'the shared container subnet (default: 172.16.0.0 sized to fit)')
    .option('--gateway <ip>', "the leaves' gateway address in the subnet (default: its first address)")
    .option('--name <name>', 'topology name', 'cldemo')
    .option('--mgmt-subnet <cidr>', "the lab's management subnet")
    .option('--spine-asn <asn>', 'every spine\'s ASN (default 65000)')
    .option('--leaf-asn <asn>', "the first leaf's ASN; the others count up (default 65001)")
    .option('--uplink <interface>', "the servers' uplink interface (default eth1)")
    .option('--keepalive <s>', 'redistribute-neighbor keepalive (default 1)')
    .option('--holdtime <s>', 'redistribute-neighbor holdtime (default 3 x keepalive)')
    .option('--route-table <n>', 'redistribute-neighbor kernel table (default 10)')
    .option('--container-image <image>', "give each server's last container its own image line")
    .option('--ipv6-prefix <cidr>', 'dual stack: the shared IPv6 prefix (/64 to /112); every IPv6 address is derived from it')
    .option('--ipv6-loopbacks <cidr>', "dual stack: the switches' IPv6 loopback prefix (default: the prefix's /64 with its fourth group ffff)")
    .action((o: Record<string, string | undefined>) => {
      process.stdout.write(generateTopology(generateOptions(o)));
    });
}

/** The flags as generate's options: every number checked, with the flag named when it is bad. */
function generateOptions(o: Record<string, string | undefined>): GenerateOptions {
  const spines = wholeNumber('spines', o.spines!, 1, 16);
  const leaves = wholeNumber('leaves', o.leaves!, 1, 128);
  const serversPerLeaf = counts('servers-per-leaf', o.serversPerLeaf!, 0, 48);
  if (Array.isArray(serversPerLeaf) && serversPerLeaf.length !== leaves) {
    throw new UsageError(`--servers-per-leaf ${o.serversPerLeaf}: ${serversPerLeaf.length} counts for ${leaves} leaves`);
  }
  return {
    spines,
    leaves,
    serversPerLeaf,
    containersPerServer: counts('containers-per-server', o.containersPerServer!, 0, 1000),
    subnet: o.subnet,
    gateway: o.gateway,
    name: o.name,
    mgmtSubnet: o.mgmtSubnet,
    spineAsn: optional('spine-asn', o.spineAsn, 1, 4294967294),
    leafAsn: optional('leaf-asn', o.leafAsn, 1, 4294967294),
    uplink: o.uplink,
    keepalive: optional('keepalive', o.keepalive, 1, 3600),
    holdtime: optional('holdtime', o.holdtime, 1, 86400),
    routeTable: optional('route-table', o.routeTable, 2, 252),
    containerImage: o.containerImage,
    ipv6Prefix: o.ipv6Prefix,
    ipv6Loopbacks: o.ipv6Loopbacks,
  };
}
