/**
 * The shape of a drill file (snake_case YAML, like the topology). Structure only: what needs
 * the topology to judge (nodes, ports, containers) or several fields at once is checked in
 * rules.ts. Each step is one map with one action or check key, so a misspelt key is named
 * where it stands instead of "matches none of twelve shapes".
 */
import { z } from 'zod';

const seconds = (what: string) => z.number().describe(`${what}, seconds`);

/** Route targets: container addresses or /32s, container names, or server names (every container on it). */
const targets = z.array(z.string()).describe('container addresses or /32 prefixes, container names, or server names (their containers)');

/** A per-link impairment, in the words of `cldemo lab impair` (loss '5%', rate '10mbit', delay '50ms'). */
const impairValue = z.union([z.number(), z.string()]);

const step = z.strictObject({
  // actions
  link: z.string().optional().describe("'NODE:PORT down' or 'NODE:PORT up': the cable of that link pulled or plugged back"),
  node: z.string().optional().describe("'NODE down' (power loss), 'NODE hang' (frozen, links up) or 'NODE up' (provider lab)"),
  impair: z
    .strictObject({
      link: z.string().describe('NODE:PORT, either end of the link'),
      loss: impairValue.optional(),
      rate: impairValue.optional(),
      delay: impairValue.optional(),
      jitter: impairValue.optional(),
      duplicate: impairValue.optional(),
      corrupt: impairValue.optional(),
    })
    .optional()
    .describe('impair a link both ways (what it had is replaced)'),
  clear: z.string().optional().describe("'NODE:PORT': that link's impairments removed"),
  exec: z.strictObject({ node: z.string(), command: z.string() }).optional().describe('a shell command inside a node (docker stop ... on a server); it must exit 0'),
  local: z.string().optional().describe('a shell command on this machine ($CLDEMO_TOPOLOGY names the topology file); it must exit 0'),
  cldemo: z.string().optional().describe("a cldemo command line run with the drill's topology ('up', 'ping-sweep'); it must exit 0"),
  restart: z
    .string()
    .optional()
    .describe("'NODE frr' (as up restarts it: gracefully when graceful restart is on) or 'NODE docker' (dockerd, its containers back by their restart policy)"),
  kill: z.string().optional().describe("'NODE agent': the redistribute-neighbor agent SIGKILLed (its routes stay in the table)"),
  wait: seconds('pause').optional(),
  // checks
  routes: z
    .strictObject({
      on: z.array(z.string()).optional().describe('the switches whose tables are read (default: every one)'),
      present: targets.optional(),
      absent: targets.optional(),
    })
    .optional()
    .describe("the /32s held (selected or installed) on the switches, or on none of them"),
  verify: z.boolean().optional().describe('true: verify-routes passes (routes on every switch and HTTP to every container)'),
  bfd: z.enum(['up']).optional().describe('up: every fabric session of every switch has its BFD session up (a topology with bgp.bfd)'),
  http: z
    .strictObject({
      to: z.string().describe('a container (address or name)'),
      from: z.string().optional().describe('a leaf (default: the next rack)'),
      reachable: z.boolean().default(true),
    })
    .optional()
    .describe("an HTTP GET of the container's page from a leaf's loopback"),
  // a check's own settings
  within: seconds('keep checking this long (a check) before it fails').optional(),
  message: z.string().optional().describe('what the drill says when this step fails'),
});

const expectation = z.strictObject({
  loss_window: z
    .strictObject({
      max: seconds('the longest loss window allowed'),
      to: z.string().optional().describe('only flows towards this leaf (its rack), server or container'),
      from: z.string().optional().describe('only flows from this leaf (its rack: the leaf and its server) or server'),
      kind: z.enum(['icmp', 'http']).optional(),
    })
    .optional()
    .describe('no flow of the probe mesh lost probes for longer (and every flow answers again by the end)'),
  green: z.strictObject({ within: seconds('after the last step') }).optional().describe('verify-routes passes again within this long after the steps'),
  message: z.string().optional().describe('what the drill says when this fails'),
});

export const drillSchema = z.strictObject({
  name: z.string().optional().describe('default: the file name'),
  description: z.string().optional(),
  requires: z
    .strictObject({
      bfd: z.boolean().optional().describe("the topology's bgp.bfd must be on (true) or off (false)"),
      graceful_restart: z.boolean().optional(),
      provider: z.enum(['lab', 'external']).optional(),
    })
    .optional()
    .describe('what the topology must be for this drill to mean what it says'),
  measure: z
    .strictObject({
      rate: z.number().int().optional().describe('probes per second per flow (1-50)'),
      kinds: z.array(z.enum(['icmp', 'http'])).optional(),
      from: z.array(z.enum(['leaves', 'servers'])).optional(),
      peers: z.number().int().optional().describe('racks each rack probes'),
    })
    .optional()
    .describe('the probe mesh that runs through the whole drill'),
  steps: z.array(step),
  expect: z.array(expectation).default([]),
});

export type RawDrill = z.output<typeof drillSchema>;
export type RawStep = RawDrill['steps'][number];
export type RawExpectation = RawDrill['expect'][number];

/** The keys that make a step what it is: one of these per step. */
export const ACTIONS = ['link', 'node', 'impair', 'clear', 'exec', 'local', 'cldemo', 'restart', 'kill', 'wait'] as const;
export const CHECKS = ['routes', 'verify', 'http', 'bfd'] as const;

export function drillJsonSchema(): unknown {
  return z.toJSONSchema(drillSchema, { io: 'input', target: 'draft-7' });
}
