/**
 * The stable output formats of `status --json` and `events --json`, as strict zod schemas:
 * the JSON Schemas in schema/ are generated from these (`npm run schema`), the types the code
 * builds its reports and events with are inferred from them, and the tests parse real output
 * with them (a field they do not declare fails), so the documents, the schemas and the code
 * cannot drift apart.
 */
import { z } from 'zod';

const time = z.string().describe('ISO 8601 timestamp, UTC');

const failureKind = z
  .enum(['ssh', 'timeout', 'vtysh', 'parse', 'docker'])
  .describe(
    'why its state was not read: ssh (no connection), timeout (the status command hung), ' +
      "vtysh (FRR's shell failed: a daemon down), parse (an answer that could not be read), docker (dockerd did not answer)",
  );

const routeCounts = (expected: string) =>
  z.strictObject({
    expected: z.number().int().describe(expected),
    present: z.number().int().describe('of those, held with the right next hops'),
    missing: z.array(z.string()),
    unexpected: z.array(z.string()),
    wrong_nexthop: z.array(z.string()),
  });

export const statusSchema = z
  .strictObject({
    name: z.string().describe('topology name'),
    ok: z.boolean().describe('true when nothing is wrong; the command then exits 0'),
    problems: z.array(z.string()).describe('what is wrong, one line each; the same failure on several nodes is one line naming them'),
    switches: z.array(
      z.strictObject({
        name: z.string(),
        role: z.enum(['spine', 'leaf']),
        reachable: z.boolean().describe('its state was read; when not, failure says why and error in full'),
        error: z.string().optional(),
        failure: failureKind.optional(),
        bgp: z
          .strictObject({
            up: z.number().int().describe('sessions Established'),
            total: z.number().int(),
            peers: z.array(
              z.strictObject({ name: z.string().describe('neighbor as configured: an interface for BGP unnumbered'), hostname: z.string().optional(), state: z.string() }),
            ),
          })
          .optional(),
        routes: routeCounts("container /32s the topology puts on this switch").optional(),
        routes6: routeCounts('dual stack: container /128s the topology puts on this switch').optional(),
        agent: z
          .strictObject({
            state: z.enum(['running', 'stopped']),
            pid: z.number().int().optional(),
            version: z.string().optional().describe("content hash of cldemo's agent build"),
            neighbors: z.number().int().describe('/32s the agent holds in its route table'),
            neighbors6: z.number().int().optional().describe("dual stack: /128s the agent holds (the main table's, proto 72)"),
          })
          .optional()
          .describe('leaves only: the redistribute-neighbor agent'),
        links: z
          .array(
            z.strictObject({
              port: z.string(),
              peer: z.string().describe('node:port at the other end of its cable'),
              state: z.enum(['up', 'down', 'admin-down', 'missing']).describe('up (carrier), down (no carrier), admin-down, missing (no such port)'),
            }),
          )
          .optional()
          .describe("its cabled ports (fabric and server ports) as it reports them; absent when its platform cannot say"),
      }),
    ),
    servers: z.array(
      z.strictObject({
        name: z.string(),
        reachable: z.boolean().describe("dockerd answered over the node's SSH connection"),
        error: z.string().optional(),
        failure: failureKind.optional(),
        containers: z.strictObject({ running: z.number().int(), total: z.number().int(), expected: z.number().int() }).optional(),
      }),
    ),
    containers: z.array(
      z.strictObject({
        name: z.string(),
        ip: z.string(),
        server: z.string(),
        leaf: z.string(),
        port: z.string(),
        state: z.string().describe("Docker's state (running, exited, ...), missing, or unknown when its server did not answer"),
        arp: z.string().describe("its leaf's neighbor state for it (REACHABLE, STALE, FAILED, ...), none, or unknown"),
        routed_on: z.number().int().describe('switches holding its /32'),
        ip6: z.string().optional().describe('dual stack: its IPv6 address'),
        nd: z.string().optional().describe("dual stack: its leaf's neighbor (NDP) state for its IPv6 address, as arp"),
        routed6_on: z.number().int().optional().describe('dual stack: switches holding its /128'),
        switches: z.number().int(),
      }),
    ),
    impairments: z
      .array(
        z.strictObject({
          link: z.string().describe('a:port -- b:port'),
          impair: z.strictObject({
            loss: z.number().optional().describe('percent dropped, each way'),
            rate: z.number().optional().describe('bits per second, each way'),
            delay: z.number().optional().describe('ms, each way'),
            jitter: z.number().optional().describe('ms'),
            duplicate: z.number().optional().describe('percent'),
            corrupt: z.number().optional().describe('percent'),
          }),
          ends: z.array(z.string()).describe('the ends (node:port) that carry something of it'),
          partial: z.boolean().describe('its ends do not carry one consistent impairment'),
        }),
      )
      .optional()
      .describe('the lab: impairments in force (cldemo lab impair), read from the nodes themselves'),
    timestamp: time,
    elapsed_ms: z.number(),
  })
  .describe('cldemo status --json');

const base = { time, node: z.string().describe('the switch or server that saw it') };

export const eventSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      ...base,
      type: z.literal('container'),
      action: z.string().describe("Docker's action: create, start, die, stop, destroy, pause, unpause"),
      container: z.string(),
      ip: z.string().optional(),
      exit_code: z.number().int().optional(),
    }),
    z.strictObject({
      ...base,
      type: z.literal('arp').describe('a neighbor entry: ARP, or IPv6 neighbor discovery (the address says which)'),
      action: z.enum(['learned', 'failed', 'deleted']),
      ip: z.string(),
      dev: z.string(),
      state: z.string(),
      container: z.string().optional(),
    }),
    z.strictObject({
      ...base,
      type: z.literal('route'),
      action: z.enum(['added', 'withdrawn']),
      prefix: z.string().describe("a container's /32, or (dual stack) its /128"),
      table: z.string(),
      proto: z.string().optional(),
      container: z.string().optional(),
    }),
    z.strictObject({ ...base, type: z.literal('bgp'), action: z.enum(['up', 'down']), peer: z.string(), hostname: z.string().optional(), state: z.string() }),
    z.strictObject({
      ...base,
      type: z.literal('link'),
      action: z.enum(['up', 'down']).describe('up: admin up with carrier; down: no carrier, or taken down'),
      dev: z.string().describe("the switch's port"),
      peer: z.string().optional().describe('node:port at the other end of its cable'),
    }),
    z.strictObject({
      ...base,
      type: z.literal('bfd'),
      action: z.enum(['up', 'down']),
      peer: z.string().describe('the peer address bfdd shows (a link-local one on an unnumbered port)'),
      interface: z.string().optional().describe('the local port, when bfdd names one'),
      state: z.string().describe("bfdd's own word: up, down, init, shutdown, or removed"),
    }),
    z.strictObject({
      ...base,
      type: z.literal('watch'),
      action: z
        .enum(['started', 'lost', 'resumed'])
        .describe('lost: the source ended or cannot be reached (said once, then retried); resumed: back, having caught up on what it missed'),
      error: z.string().optional().describe('lost: why'),
      since: z.string().optional().describe("resumed, a server: Docker's events from this time on were replayed (those already shown are dropped)"),
    }),
  ])
  .describe('one line of cldemo events --json');

const whyLink = z.strictObject({
  link: z
    .enum(['topology', 'docker', 'cable', 'neighbor', 'agent', 'frr', 'fabric', 'http'])
    .describe(
      "the link of the chain: topology (where it is placed), docker (running on its macvlan network), cable (server uplink to leaf port), " +
        "neighbor (the leaf's ARP or NDP entry), agent (its host route in the agent's table), frr (the leaf holds and advertises it), " +
        'fabric (every other switch holds it by the expected next hops), http (its page from another rack)',
    ),
  family: z.union([z.literal(4), z.literal(6)]).optional().describe('4: its /32 (ARP); 6, dual stack: its /128 (NDP)'),
  ok: z.boolean(),
  node: z.string().describe('the node this link was judged on (a broken one: where to act)'),
  says: z.string().describe("what holds, or what is broken, in the fabric's words"),
  remedy: z.string().optional().describe('a broken link: what to do about it'),
});

export const whySchema = z
  .strictObject({
    container: z.strictObject({
      name: z.string(),
      ip: z.string(),
      ip6: z.string().optional(),
      server: z.string(),
      leaf: z.string(),
      port: z.string().describe("the leaf's port to its server"),
    }),
    ok: z.boolean().describe('every link holds; the command then exits 0 (1 when one is broken)'),
    links: z.array(whyLink).describe('the links checked, in order, up to and including the first broken one'),
    broken: whyLink.optional().describe('the first broken link (the last of links), when there is one'),
    timestamp: time,
    elapsed_ms: z.number().int(),
  })
  .describe('cldemo why --json: the chain that makes one container reachable, up to its first broken link');

export type WhyReport = z.infer<typeof whySchema>;
export type WhyLink = WhyReport['links'][number];

export function whyJsonSchema(): unknown {
  return z.toJSONSchema(whySchema, { target: 'draft-7' });
}

export type StatusReport = z.infer<typeof statusSchema>;
export type SwitchStatus = StatusReport['switches'][number];
export type ServerStatus = StatusReport['servers'][number];
export type ContainerStatus = StatusReport['containers'][number];
export type AgentState = NonNullable<SwitchStatus['agent']>;
export type LinkState = NonNullable<SwitchStatus['links']>[number];
export type ImpairmentInForce = NonNullable<StatusReport['impairments']>[number];
/** Why a node's state could not be read (see failureKind's description). */
export type FailureKind = z.infer<typeof failureKind>;

/** One event of `cldemo events`: what the fabric did, as it happened. */
export type FabricEvent = z.infer<typeof eventSchema>;

export function statusJsonSchema(): unknown {
  return z.toJSONSchema(statusSchema, { target: 'draft-7' });
}

export function eventJsonSchema(): unknown {
  return z.toJSONSchema(eventSchema, { target: 'draft-7' });
}
