/**
 * How the lab's nodes are reached: the lab owns their addresses (the format's .10 upwards in
 * lab.mgmt_subnet, switches then servers) and the key and known_hosts it writes at `lab up`.
 */
import { formatIpv4, parseCidr } from '../topology/ip.js';
import { LAB_FIRST_NODE_HOST } from '../topology/schema.js';
import type { Mgmt } from '../topology/types.js';
import { labKeyFile, labKnownHostsFile } from './names.js';

export const LAB_SSH_USER = 'root';

/** The management connection of node number `index` of lab `planName`. */
export function labNodeConnection(planName: string, mgmtSubnet: string, index: number): Mgmt {
  return {
    host: formatIpv4(parseCidr(mgmtSubnet)!.network + LAB_FIRST_NODE_HOST + index), // rules.ts checked the subnet
    port: 22,
    user: LAB_SSH_USER,
    identityFile: labKeyFile(planName),
    knownHosts: labKnownHostsFile(planName),
  };
}
