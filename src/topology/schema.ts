/**
 * The shape of topology.yaml (snake_case, as engineers write YAML). Structure only:
 * values that need the whole file to judge (addresses, names, ports) are checked in rules.ts.
 */
import { z } from 'zod';
import { defaultSwitchPlatform, registryGeneration, switchPlatformNames } from '../platforms/index.js';

/** The format's lab addressing: in lab.mgmt_subnet the host bridge is .1 and the nodes take .10 upwards. */
export const LAB_FIRST_NODE_HOST = 10;

const mgmt = z.strictObject({
  host: z.string().describe('IPv4 or IPv6 address or host name sshd listens on (provider external)'),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().optional(),
  identity_file: z.string().optional(),
  sudo: z.boolean().optional().describe('run every command on this node through sudo -n (overrides ssh.sudo)'),
  jump: z.string().optional().describe('[user@]host[:port] of a bastion to reach this node through (overrides ssh.jump)'),
});

/** `platform:` names a registered switch platform (src/platforms). */
const platform = () => z.enum(switchPlatformNames());

const switchNode = () =>
  z.strictObject({
    role: z.enum(['spine', 'leaf']),
    asn: z.number().int().describe('BGP AS number; spines may share one, leaves must not'),
    loopback: z.string().describe('IPv4 address of lo, also the BGP router-id'),
    loopback6: z.string().optional().describe('IPv6 address of lo (dual stack); default: derived from ipv6.loopbacks and loopback'),
    platform: platform().optional(),
    mgmt: mgmt.optional(),
  });

const container = z.union([
  z.string().describe('container IPv4 address'),
  z.strictObject({
    ip: z.string(),
    ip6: z.string().optional().describe('its IPv6 address (dual stack); default: derived from ipv6.prefix and ip'),
    image: z.string().optional(),
  }),
]);

const amount = z.union([z.number(), z.string()]);
/** What `lab up` applies to a link, each way (values are read and checked in rules.ts, src/topology/impair.ts). */
const impair = z
  .strictObject({
    loss: amount.optional().describe('percent of packets dropped each way, e.g. 1% (iptables statistic)'),
    rate: amount.optional().describe('bits per second each way, e.g. 10mbit (tbf)'),
    delay: amount.optional().describe('added delay each way, e.g. 5ms (needs the kernel\'s sch_netem)'),
    jitter: amount.optional().describe('random variation of the delay, e.g. 1ms (sch_netem)'),
    duplicate: amount.optional().describe('percent of packets sent twice (sch_netem)'),
    corrupt: amount.optional().describe('percent of packets with a flipped bit (sch_netem)'),
  })
  .describe('an impairment of this link, applied in both directions by `cldemo lab up`');
const serverNode = z.strictObject({
  uplink: z.strictObject({
    interface: z.string().describe('server interface cabled to the leaf; parent of the macvlan network'),
    address: z.string().describe("the server's own address in the shared subnet"),
    address6: z.string().optional().describe("the server's own IPv6 address in ipv6.prefix (dual stack); default: derived from address"),
    leaf: z.string(),
    port: z.string().describe('the leaf port it plugs into'),
    mtu: z.number().int().optional(),
    impair: impair.optional(),
  }),
  containers: z.array(container).default([]),
  mgmt: mgmt.optional(),
});

const ipv6 = z.strictObject({
  prefix: z.string().describe('the shared IPv6 prefix beside subnet, e.g. 2001:db8:1::/64 (/64 to /126)'),
  gateway: z.string().optional().describe("the containers' IPv6 gateway on every leaf's server port; default: derived from gateway"),
  loopbacks: z.string().optional().describe("where switches' IPv6 loopbacks are derived from (/64 or shorter), for those without loopback6"),
});

const endpoint = z.string().describe('node:port');
const link = z.union([
  z.tuple([endpoint, endpoint]),
  z.strictObject({ endpoints: z.tuple([endpoint, endpoint]), mtu: z.number().int().optional(), impair: impair.optional() }),
]);

/** What `bfd: true` and `graceful_restart: true` mean (FRR's own defaults, but BFD's interval: 300 ms, not 1 s). */
export const BFD_DEFAULTS = { interval: 300, multiplier: 3 } as const;
export const GR_DEFAULTS = { restart_time: 120, stalepath_time: 360 } as const;

/** BFD on every fabric session (FRR's bfdd): `true` for the defaults, or the timers. */
const bfd = z.union([
  z.boolean(),
  z.strictObject({
    interval: z.number().int().default(BFD_DEFAULTS.interval).describe('milliseconds between BFD packets, each way (10-60000)'),
    multiplier: z.number().int().default(BFD_DEFAULTS.multiplier).describe('packets missed before the session is down (2-255); interval x multiplier is the detection time'),
  }),
]);

/** BGP graceful restart on every switch: `true` for the defaults, or the timers. */
const gracefulRestart = z.union([
  z.boolean(),
  z.strictObject({
    restart_time: z.number().int().default(GR_DEFAULTS.restart_time).describe('seconds a peer keeps forwarding on the routes of a restarting switch (1-4095)'),
    stalepath_time: z.number().int().default(GR_DEFAULTS.stalepath_time)
      .describe('seconds a peer keeps them once the session is back, before dropping those not sent again (1-4095)'),
  }),
]);

const bgp = z
  .strictObject({
    bfd: bfd.default(false).describe('BFD on the fabric sessions: a dead or hung neighbor is dropped after interval x multiplier instead of the BGP hold time (9 s)'),
    graceful_restart: gracefulRestart.default(false)
      .describe("BGP graceful restart: restarting FRR on a switch keeps forwarding (its peers keep its routes, its kernel keeps the switch's own)"),
  })
  .prefault({});

const buildSchema = () => z.strictObject({
  name: z.string().default('cldemo').describe('names the lab, labels the containers'),
  provider: z.enum(['lab', 'external']).default('lab'),
  defaults: z
    .strictObject({
      platform: platform().default(defaultSwitchPlatform()),
      mtu: z.number().int().default(9216),
      image: z.string().default('cldemo/apache:latest'),
    })
    .prefault({}),
  subnet: z.string().describe('the shared container subnet, e.g. 172.16.1.0/24'),
  gateway: z.string().describe("the containers' gateway, on every leaf's server port"),
  ipv6: ipv6.optional().describe('dual stack: every container, server and switch gets an IPv6 address too'),
  redistribute_neighbor: z
    .strictObject({
      // bounded: 256 neighbors at keepalive 0.001 would be 25,600 probes a second
      keepalive: z.number().min(0.1).max(3600).default(1).describe('seconds between two unicast ARP requests to a neighbor (0.1-3600)'),
      holdtime: z.number().min(0.3).max(86400).default(3).describe('seconds of silence before a neighbor is withdrawn (at least 3 x keepalive, at most a day)'),
      route_table: z.number().int().default(10),
      unicast_arp_requests: z.boolean().default(true),
      loglevel: z.enum(['CRITICAL', 'ERROR', 'WARNING', 'INFO', 'DEBUG']).default('INFO'),
    })
    .prefault({}),
  bgp,
  lab: z.strictObject({ mgmt_subnet: z.string().default('192.168.200.0/24') }).prefault({}),
  ssh: z
    .strictObject({
      user: z.string().optional().describe('default root, or User from ~/.ssh/config'),
      port: z.number().int().min(1).max(65535).optional().describe('default 22, or Port from ~/.ssh/config'),
      identity_file: z.string().optional().describe('default: ssh-agent when SSH_AUTH_SOCK is set, else IdentityFile from ~/.ssh/config, else ~/.ssh/id_*'),
      known_hosts: z.string().optional(),
      sudo: z.boolean().default(false).describe('log in as an unprivileged user and run every command through sudo -n'),
      jump: z.string().optional().describe('[user@]host[:port] of a bastion every node is reached through (ssh2 forwardOut)'),
    })
    .prefault({}),
  switches: z.record(z.string(), switchNode()),
  servers: z.record(z.string(), serverNode).default({}),
  links: z.array(link).default([]),
});

let built: { generation: number; schema: ReturnType<typeof buildSchema> } | undefined;

/** The schema as the platform registry stands now (built again after a platform is registered). */
export function topologySchema(): ReturnType<typeof buildSchema> {
  if (built?.generation !== registryGeneration()) built = { generation: registryGeneration(), schema: buildSchema() };
  return built.schema;
}

export type RawTopology = z.output<ReturnType<typeof buildSchema>>;

/** JSON Schema for editor completion (yaml-language-server). */
export function topologyJsonSchema(): unknown {
  return z.toJSONSchema(topologySchema(), { io: 'input', target: 'draft-7' });
}
