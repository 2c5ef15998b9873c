/**
 * A cable pulled on real boxes (provider external): the named port taken down on its switch
 * or server over SSH, by its platform's command; a real peer loses carrier by itself, and is
 * read to show it. Plugged back: every end that is administratively down is brought up.
 */
import { sleep } from '../../concurrency.js';
import { messageOf, NodeError, OperationError } from '../../errors.js';
import { platformOf, type PortCommands, type PortState } from '../../platforms/index.js';
import { endpointName, linkName } from '../../topology/endpoints.js';
import type { Endpoint, Link, NodePlan } from '../../topology/types.js';
import type { FabricContext } from '../context.js';
import { runRemote } from '../remote.js';

/** One end as its box reports it; `error` when the box could not be asked. */
export interface EndReading extends PortState {
  node: string;
  error?: string;
}

/** how long a real peer may take to notice (carrier lost, or autonegotiation done) */
const SETTLE_MS = 10_000;

function nodeOf(ctx: FabricContext, name: string): NodePlan {
  return [...ctx.plan.switches, ...ctx.plan.servers].find((n) => n.name === name)!;
}

function portsOf(node: NodePlan): PortCommands {
  const ports = platformOf(node).ports;
  if (!ports) throw new NodeError(node.name, `platform ${platformOf(node).name} has no command to take a port down or up`);
  return ports;
}

async function readEnd(ctx: FabricContext, e: Endpoint): Promise<EndReading> {
  const node = nodeOf(ctx, e.node);
  try {
    const conn = await ctx.connect(node);
    const ports = portsOf(node);
    const [state] = ports.show.parse((await runRemote(conn, ports.show.command(), { what: 'reading its ports', timeoutMs: 15_000 })).stdout, [e.port]);
    return { node: e.node, ...state };
  } catch (err) {
    return { node: e.node, port: e.port, exists: false, admin: 'down', carrier: null, error: messageOf(err).replace(`${e.node}: `, '') };
  }
}

async function setEnd(ctx: FabricContext, e: Endpoint, up: boolean): Promise<void> {
  const node = nodeOf(ctx, e.node);
  const conn = await ctx.connect(node);
  await runRemote(conn, portsOf(node).set(e.port, up), { what: `ip link set ${e.port} ${up ? 'up' : 'down'}`, timeoutMs: 15_000 });
}

/** down: the named end (`ends[0]`) only; up: every end found admin down. Resolves to both ends as read afterwards. */
export async function externalLinkSet(ctx: FabricContext, link: Link, ends: [Endpoint, Endpoint], up: boolean): Promise<{ ends: EndReading[]; changed: boolean }> {
  const before = await Promise.all(ends.map((e) => readEnd(ctx, e)));
  const named = before[0];
  if (named.error) throw new NodeError(named.node, `cannot read ${named.port}: ${named.error}; nothing was changed`);
  if (!named.exists) throw new NodeError(named.node, `has no port ${named.port}; nothing was changed`);
  const targets = up ? ends.filter((_e, i) => before[i].exists && before[i].admin === 'down') : named.admin === 'up' ? [ends[0]] : [];
  for (const e of targets) await setEnd(ctx, e, up);
  const after = await settle(ctx, ends, up);
  const wrong = after.filter((s) => !s.error && s.exists && (up ? s.admin !== 'up' || s.carrier !== true : s.carrier === true));
  if (wrong.length) {
    const said = wrong.map((s) => `${endpointName(s)} is admin ${s.admin}${s.carrier === null ? '' : s.carrier ? ', carrier' : ', no carrier'}`);
    throw new OperationError(`${linkName(link)}: ${up ? 'not up' : 'still has carrier'} after ${SETTLE_MS / 1000} s: ${said.join('; ')}`);
  }
  return { ends: after, changed: targets.length > 0 };
}

/** Reads both ends until they show what `up` means (each end up with carrier, or no end with carrier), or the time runs out. */
async function settle(ctx: FabricContext, ends: Endpoint[], up: boolean): Promise<EndReading[]> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const now = await Promise.all(ends.map((e) => readEnd(ctx, e)));
    const done = now.every((s) => s.error || !s.exists || (up ? s.admin === 'up' && s.carrier === true : s.carrier !== true));
    if (done || Date.now() > deadline) return now;
    await sleep(200);
  }
}
