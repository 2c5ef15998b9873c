/**
 * generate(): a valid topology of any size, in the same format as topology.yaml.
 * Addresses are handed out per rack in order (containers from .11 up, servers from the top
 * of the subnet down), so a /24 holds the original demo and larger sizes get a larger subnet.
 */
import { formatCidr, formatIpv4, parseCidr } from './ip.js';

export interface GenerateOptions {
  spines: number;
  leaves: number;
  serversPerLeaf: number;
  containersPerServer: number;
  subnet?: string; // default: 172.16.0.0 with the smallest prefix that fits (at most /24)
  name?: string;
  mgmtSubnet?: string;
}

const pad = (n: number, total: number) => String(n).padStart(Math.max(2, String(total).length), '0');

export function requiredPrefix(hosts: number): number {
  // network, gateway, .2-.10 kept free, broadcast
  let prefix = 24;
  while (prefix > 8 && 2 ** (32 - prefix) < hosts + 12) prefix--;
  return prefix;
}

export function generateTopology(o: GenerateOptions): string {
  const servers = o.leaves * o.serversPerLeaf;
  const hosts = servers * (o.containersPerServer + 1);
  const subnet = parseCidr(o.subnet ?? `172.16.0.0/${requiredPrefix(hosts)}`);
  if (!subnet) throw new Error(`--subnet ${o.subnet}: not an IPv4 network in CIDR form`);
  const capacity = subnet.broadcast - subnet.network - 11;
  if (capacity < hosts) throw new Error(`--subnet ${o.subnet}: ${capacity} usable addresses, ${hosts} needed`);
  const nodes = o.spines + o.leaves + servers;
  const mgmt = o.mgmtSubnet ?? `192.168.200.0/${Math.min(24, 32 - Math.ceil(Math.log2(nodes + 12)))}`;
  if (o.spines + o.leaves > 250 * 250) throw new Error('too many switches');

  const spine = (i: number) => `spine${pad(i + 1, o.spines)}`;
  const leaf = (i: number) => `leaf${pad(i + 1, o.leaves)}`;
  const server = (i: number) => `server${pad(i + 1, servers)}`;
  const leafAsn = (i: number) => (o.leaves <= 499 ? 65001 + i : 4200000001 + i);
  const loopback = (block: number, i: number) => `10.0.${block + Math.floor(i / 250)}.${(i % 250) + 1}`;

  const out: string[] = [
    '# yaml-language-server: $schema=./schema/topology.schema.json',
    `# generated: cldemo generate --spines ${o.spines} --leaves ${o.leaves} --servers-per-leaf ${o.serversPerLeaf} --containers-per-server ${o.containersPerServer}`,
    `name: ${o.name ?? 'cldemo'}`,
    'provider: lab',
    '',
    `subnet: ${formatCidr(subnet)}`,
    `gateway: ${formatIpv4(subnet.network + 1)}`,
    '',
    'redistribute_neighbor: { keepalive: 1, holdtime: 3, route_table: 10 }',
    `lab: { mgmt_subnet: ${mgmt} }`,
    '',
    'switches:',
  ];
  for (let s = 0; s < o.spines; s++) out.push(`  ${spine(s)}: { role: spine, asn: 65000, loopback: ${loopback(1, s)} }`);
  for (let l = 0; l < o.leaves; l++) out.push(`  ${leaf(l)}: { role: leaf, asn: ${leafAsn(l)}, loopback: ${loopback(100, l)} }`);

  out.push('', 'servers:');
  let next = subnet.network + 11;
  let top = subnet.broadcast - 1;
  for (let l = 0; l < o.leaves; l++) {
    for (let k = 0; k < o.serversPerLeaf; k++) {
      const idx = l * o.serversPerLeaf + k;
      const ips = Array.from({ length: o.containersPerServer }, () => formatIpv4(next++));
      out.push(`  ${server(idx)}:`);
      out.push(`    uplink: { interface: eth1, address: ${formatIpv4(top--)}, leaf: ${leaf(l)}, port: swp${k + 1} }`);
      out.push(`    containers: [${ips.join(', ')}]`);
    }
  }

  out.push('', 'links:');
  for (let s = 0; s < o.spines; s++) {
    for (let l = 0; l < o.leaves; l++) out.push(`  - [${spine(s)}:swp${l + 1}, ${leaf(l)}:swp${51 + s}]`);
  }
  return `${out.join('\n')}\n`;
}
