/**
 * Impairments on the lab's links: put on, taken off and read back from the nodes
 * themselves (their iptables rules and qdiscs), never from a file of ours that could lie.
 * The kernel's terms are in impair-kernel.ts.
 */
import { release } from 'node:os';
import { defaultConcurrency, eachLimit } from '../concurrency.js';
import { messageOf, OperationError, UsageError } from '../errors.js';
import { closeEnough, describeImpairment, isEmptyImpairment, needsNetem, sameImpairment, type Impairment } from '../topology/impair.js';
import { endpointName, linkName } from '../topology/endpoints.js';
import type { Endpoint, Link, Plan } from '../topology/types.js';
import { applyScript, combine, layout, parseRead, readCommand, type NodeImpairments, type PortImpairment } from './impair-kernel.js';
import { builtNode, nodeSh } from './node-shell.js';
import { execute } from './run.js';

/** A link's impairment as its nodes hold it now. */
export interface LinkImpairment {
  link: string;
  a: Endpoint;
  b: Endpoint;
  kind: Link['kind'];
  impair: Impairment;
  /** the ends (node:port) that carry something of it */
  ends: string[];
  /** its ends do not carry what one impairment of the link would put there (one end changed by hand, or a run cut short) */
  partial: boolean;
}

let netem: Promise<string | undefined> | undefined;

/**
 * Why netem cannot be used on this kernel (undefined: it can), tried for real once per run:
 * a netem qdisc added on the loopback of a throwaway network namespace, gone with it.
 */
function netemMissing(): Promise<string | undefined> {
  netem ??= execute('unshare', ['--net', '--', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']).then(
    (r) => (r.code === 0 ? undefined : r.stderr.trim().split('\n').pop()?.replace(/^Error: /, '') || `tc exit ${r.code}`),
    (e: unknown) => messageOf(e),
  );
  return netem;
}

/** A usage error (exit 2) naming the missing kernel module, when `i` needs netem and the kernel has none. */
export async function assertNetem(i: Impairment, where: string): Promise<void> {
  const keys = needsNetem(i);
  if (!keys.length) return;
  const why = await netemMissing();
  if (why === undefined) return;
  throw new UsageError(
    `${where}: ${keys.join(', ')} need${keys.length === 1 ? 's' : ''} the sch_netem kernel module, ` +
      `which this kernel (${release()}) does not have (tc: ${why}); loss and rate work without it`,
  );
}

async function readNode(plan: Plan, node: string): Promise<NodeImpairments> {
  return parseReadSafe(node, await nodeSh(builtNode(plan, node), readCommand()));
}

function parseReadSafe(node: string, stdout: string): NodeImpairments {
  try {
    return parseRead(node, stdout);
  } catch (e) {
    throw new OperationError(`${node}: could not read its qdiscs and iptables rules: ${messageOf(e)}`);
  }
}

/** Takes ours off the link's ports and puts `want` on (nothing: a clean link), one node at a time per end. */
async function setLink(plan: Plan, link: Link, want: PortImpairment[]): Promise<void> {
  const ends = [link.a, link.b];
  const errors = await eachLimit(ends, 2, async (e) => {
    const p = builtNode(plan, e.node);
    const now = await readNode(plan, e.node);
    const { script } = applyScript(now, [e.port], want.filter((w) => w.node === e.node && w.port === e.port), link.mtu);
    await nodeSh(p, script).catch((err: unknown) => {
      throw new OperationError(`${endpointName(e)}: ${messageOf(err)}`);
    });
  });
  if (errors.length) throw new OperationError(`${linkName(link)}: ${errors.map(messageOf).join('; ')} (\`cldemo lab impair --list\` shows what is in force)`);
}

/** Puts `i` on the link, in both directions, replacing what it had. */
export async function labImpair(plan: Plan, link: Link, i: Impairment): Promise<LinkImpairment> {
  if (isEmptyImpairment(i)) throw new UsageError(`${linkName(link)}: no impairment given (--loss, --rate, --delay, --jitter, --duplicate, --corrupt; --clear removes one)`);
  await assertNetem(i, linkName(link));
  await setLink(plan, link, layout(link, i));
  const now = (await labImpairments(plan, [link]))[0];
  if (!now || now.partial || !sameImpairment(now.impair, i)) {
    throw new OperationError(`${linkName(link)}: asked for ${describeImpairment(i)}, the nodes hold ${now ? describeImpairment(now.impair) : 'none'}`);
  }
  return now;
}

/** Takes every impairment of ours off `links` (default: every link); returns what was there. */
export async function labClear(plan: Plan, links: Link[] = plan.links): Promise<LinkImpairment[]> {
  const before = await labImpairments(plan, links);
  for (const l of links.filter((x) => before.some((b) => b.link === linkName(x)))) await setLink(plan, l, []);
  return before;
}

/** The links (of `links`, default every one) that carry an impairment now, read from their nodes. */
export async function labImpairments(plan: Plan, links: Link[] = plan.links): Promise<LinkImpairment[]> {
  const nodes = [...new Set(links.flatMap((l) => [l.a.node, l.b.node]))];
  const held = new Map<string, NodeImpairments>();
  const errors = await eachLimit(nodes, defaultConcurrency(), async (n) => void held.set(n, await readNode(plan, n)));
  if (errors.length) throw new OperationError(errors.map(messageOf).join('\n'));
  const ports = [...held.values()].flatMap((h) => h.ports);
  return links.flatMap((l) => {
    const isEnd = (p: PortImpairment, e: Endpoint) => e.node === p.node && e.port === p.port;
    const at = [l.a, l.b].flatMap((e) => ports.filter((p) => isEnd(p, e) && Object.keys(p).length > 2));
    if (!at.length) return [];
    const impair = combine(l, at);
    const partial = !layout(l, impair).every((want) => samePort(want, at.find((p) => p.node === want.node && p.port === want.port) ?? { node: want.node, port: want.port }));
    return [{ link: linkName(l), a: l.a, b: l.b, kind: l.kind, impair, ends: at.map((p) => `${p.node}:${p.port}`), partial }];
  });
}

const PORT_KEYS = ['egressLoss', 'ingressLoss', 'rate', 'delay', 'jitter', 'duplicate', 'corrupt'] as const;

function samePort(a: PortImpairment, b: PortImpairment): boolean {
  return PORT_KEYS.every((k) => closeEnough(a[k], b[k]));
}

/** What the topology declares (`impair:` on links and uplinks), put on the lab's links; how many. */
export async function applyDeclared(plan: Plan, log: (msg: string) => void): Promise<number> {
  const declared = plan.links.filter((l) => l.impair && !isEmptyImpairment(l.impair));
  for (const l of declared) {
    await labImpair(plan, l, l.impair!);
    log(`${linkName(l)}: ${describeImpairment(l.impair!)}`);
  }
  return declared.length;
}
