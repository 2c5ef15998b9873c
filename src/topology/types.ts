/**
 * The derived model every later stage uses. `plan()` turns a checked Topology into a Plan;
 * nothing downstream reads the YAML again.
 */

import type { JumpHost } from './jump.js';
import type { Impairment } from './impair.js';

export type Role = 'spine' | 'leaf' | 'server';
type Provider = 'lab' | 'external';

/** How cldemo reaches a node: the same shape for lab nodes and real hardware. */
export interface Mgmt {
  host: string; // address sshd listens on (or a Host alias of ~/.ssh/config)
  port: number; // ssh port
  user: string;
  /** private key file; for the lab, filled from the lab's state directory */
  identityFile?: string;
  /** known_hosts file that must vouch for the host key */
  knownHosts?: string;
  /** every remote command through `sudo -n`, uploads installed with sudo */
  sudo?: boolean;
  /** a bastion the node is reached through */
  jump?: JumpHost;
  /** settings the topology left to cldemo's defaults: ~/.ssh/config may supply these */
  defaulted?: Array<'user' | 'port'>;
}

export interface Endpoint {
  node: string;
  port: string;
}

export interface Link {
  a: Endpoint;
  b: Endpoint;
  /** fabric = switch-switch; server = a server uplink to a leaf port */
  kind: 'fabric' | 'server';
  mtu: number;
  /** what the topology declares for it, each way; `lab up` applies it */
  impair?: Impairment;
}

export interface RedistributeNeighbor {
  keepalive: number;
  holdtime: number;
  routeTable: number;
  unicastArpRequests: boolean;
  loglevel: 'CRITICAL' | 'ERROR' | 'WARNING' | 'INFO' | 'DEBUG';
}

/** BFD on every fabric session (FRR's bfdd, one profile). */
interface BfdOptions {
  /** milliseconds between packets, each way */
  interval: number;
  /** packets missed before the session is down */
  multiplier: number;
}

/** BGP graceful restart on every switch. */
interface GracefulRestartOptions {
  /** seconds */
  restartTime: number;
  /** seconds */
  stalepathTime: number;
}

/** Fabric-wide BGP options; each is absent when the topology leaves it off. */
export interface BgpOptions {
  bfd?: BfdOptions;
  gracefulRestart?: GracefulRestartOptions;
}

export interface FabricPort {
  port: string;
  peer: string;
  peerPort: string;
  mtu: number;
}

export interface ServerPort {
  port: string;
  server: string;
  serverInterface: string;
  mtu: number;
  /** the addresses of that server's containers: the leaf asks for them by ARP until they answer */
  containerIps: string[];
  /** dual stack: their IPv6 addresses, which the leaf asks for by neighbor discovery */
  containerIps6?: string[];
}

export interface SwitchPlan {
  name: string;
  role: 'spine' | 'leaf';
  asn: number;
  loopback: string; // bare address, e.g. 10.0.0.11
  /** dual stack: lo's IPv6 address (canonical, bare) */
  loopback6?: string;
  /** the name of a registered switch platform (src/platforms) */
  platform: string;
  mgmt: Mgmt;
  fabricPorts: FabricPort[];
  serverPorts: ServerPort[]; // leaves only
  /** /32 prefixes ("172.16.1.11/32") this switch must hold once the demo is up */
  expectedRoutes: string[];
  /** dual stack: the /128 prefixes ("2001:db8:1::11/128") it must hold too */
  expectedRoutes6?: string[];
}

export interface ContainerPlan {
  name: string; // <server>-<ip>
  ip: string;
  /** dual stack: its IPv6 address (canonical) */
  ip6?: string;
  image: string;
  server: string;
  leaf: string;
  leafPort: string;
}

interface Uplink {
  interface: string;
  address: string; // the server's own address in the shared subnet
  prefixLength: number;
  /** dual stack: its own IPv6 address in the shared prefix (canonical; the length is the plan's ipv6.prefixLength) */
  address6?: string;
  leaf: string;
  port: string;
  mtu: number;
}

interface MacvlanNetwork {
  name: string; // <server>_<uplink>
  parent: string;
  subnet: string;
  gateway: string;
  /** dual stack: the IPv6 prefix and gateway, beside subnet and gateway (Docker's EnableIPv6) */
  subnet6?: string;
  gateway6?: string;
  // the addresses its IPAM must never hand out come from auxAddresses(plan, server) at apply time
}

export interface ServerPlan {
  name: string;
  role: 'server';
  mgmt: Mgmt;
  uplink: Uplink;
  network: MacvlanNetwork;
  containers: ContainerPlan[];
}

interface LabSettings {
  mgmtSubnet: string; // e.g. 192.168.200.0/24; .1 is the host bridge
  mgmtInterface: string; // eth0
}

/** Dual stack: the shared IPv6 prefix beside the IPv4 subnet. */
export interface Ipv6Plan {
  prefix: string; // canonical, e.g. 2001:db8:1::/64
  prefixLength: number;
  gateway: string; // on every leaf's server port, canonical
}

export interface Plan {
  name: string; // topology name; labels and lab resources carry it
  provider: Provider;
  file: string; // topology file it came from
  subnet: string; // 172.16.1.0/24
  gateway: string; // 172.16.1.1
  prefixLength: number;
  /** dual stack; absent: IPv4 only */
  ipv6?: Ipv6Plan;
  image: string;
  redistributeNeighbor: RedistributeNeighbor;
  bgp: BgpOptions;
  lab: LabSettings;
  switches: SwitchPlan[];
  servers: ServerPlan[];
  links: Link[];
  containers: ContainerPlan[];
}

export type NodePlan = SwitchPlan | ServerPlan;
