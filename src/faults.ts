/**
 * Breaking the fabric on purpose, as a small API: what `cldemo lab link|node|impair` call,
 * and what drills and `measure --during` call in-process. Every function takes the loaded
 * plan, prints nothing and returns a typed record; bad input throws a UsageError (exit 2),
 * a failed operation an OperationError or NodeError (exit 1). None takes a lock: the
 * commands take the lab's.
 *
 * The lab's side lives in src/lab (nsenter into the nodes: it works while a node's sshd is
 * dead or frozen); provider external's link fault in src/fabric (SSH, the platform's command).
 */
import { OperationError, UsageError, quote } from './errors.js';
import type { FabricContext } from './fabric/context.js';
import { externalLinkSet, type EndReading } from './fabric/change/link-fault.js';
import { sshContext } from './providers.js';
import { requireRoot } from './lab/host.js';
import { assertNetem, labClear, labImpair, labImpairments, type LinkImpairment } from './lab/impair.js';
import { labLinkSet } from './lab/link-fault.js';
import { builtNode, labNode, nodeSh } from './lab/node-shell.js';
import { hang, labNodePower, powerDown, powerUp, resume, type NodePower } from './lab/node-power.js';
import { agentOf } from './platforms/index.js';
import { AGENT_ROOT } from './platforms/agents.js';
import { endsFrom, findLink, linkName } from './topology/endpoints.js';
import { IMPAIR_KEYS, parseImpairValue, impairmentProblems, type ImpairKey, type Impairment } from './topology/impair.js';
import type { Plan } from './topology/types.js';

export type { LinkImpairment } from './lab/impair.js';
export type { Impairment } from './topology/impair.js';

export type LinkAction = 'down' | 'up';
export type NodeAction = 'down' | 'hang' | 'up';

export interface FaultOptions {
  /** provider external: the operator's consent to change real boxes (the CLI's --yes) */
  yes?: boolean;
  /** provider external: the connections to use (default: a pool of its own, closed at the end) */
  context?: FabricContext;
}

/** One end of a link as its node reports it after the change. */
type LinkEnd = EndReading;

export interface LinkReport {
  link: string;
  action: LinkAction;
  /** false: it already was so */
  changed: boolean;
  ends: LinkEnd[];
}

export interface NodeReport {
  node: string;
  action: NodeAction;
  /** what the node is now */
  state: NodePower;
  changed: boolean;
  /** processes killed (down), stopped (hang) or continued (up from a hang) */
  processes?: number;
}

function requireLabRoot(what: string): void {
  requireRoot(`cldemo lab ${what} works inside the lab's namespaces: run it as root (sudo cldemo lab ${what} ...)`);
}

/** The cable of the link `endpoint` (NODE:PORT) is an end of, pulled (`down`) or plugged back (`up`). */
export async function linkSet(plan: Plan, endpoint: string, action: LinkAction, opts: FaultOptions = {}): Promise<LinkReport> {
  const link = findLink(plan, endpoint);
  const up = action === 'up';
  if (plan.provider === 'external') {
    if (!opts.yes) throw new UsageError(`lab link ${endpoint} ${action} changes a real ${endpoint.split(':')[0]} (provider external): add --yes to do it`);
    const ctx = opts.context ?? sshContext(plan);
    try {
      const r = await externalLinkSet(ctx, link, endsFrom(link, endpoint), up);
      return { link: linkName(link), action, changed: r.changed, ends: r.ends };
    } finally {
      if (!opts.context) await (ctx as ReturnType<typeof sshContext>).close();
    }
  }
  requireLabRoot('link');
  if (up) {
    for (const e of [link.a, link.b]) {
      if ((await labNodePower(plan, e.node)) !== 'down') continue;
      throw new OperationError(`${e.node} is powered down: \`cldemo lab node ${e.node} up\` first (a cable into a dead box stays dark)`);
    }
  }
  const r = await labLinkSet(plan, link, endsFrom(link, endpoint), up);
  return { link: linkName(link), action, changed: r.changed, ends: r.ends };
}

/** A lab node powered down, hung, or brought back. */
export async function nodeSet(plan: Plan, node: string, action: NodeAction): Promise<NodeReport> {
  if (plan.provider !== 'lab') throw new UsageError(`lab node: ${plan.file} is provider ${plan.provider}; only the lab's nodes can be powered down or frozen by cldemo`);
  labNode(plan, node);
  requireLabRoot('node');
  const was = await labNodePower(plan, node);
  const report = (state: NodePower, changed: boolean, processes?: number): NodeReport => ({ node, action, state, changed, ...(processes === undefined ? {} : { processes }) });
  if (action === 'down') return was === 'down' ? report('down', false) : report('down', true, await powerDown(plan, node));
  if (action === 'hang') {
    if (was === 'down') throw new OperationError(`${node} is powered down; a dead box cannot hang (\`cldemo lab node ${node} up\` first)`);
    return was === 'hung' ? report('hung', false) : report('hung', true, await hang(plan, node));
  }
  if (was === 'up') return report('up', false);
  if (was === 'hung') return report('up', true, await resume(plan, node));
  await powerUp(plan, node);
  await startAgent(plan, node);
  return report('up', true);
}

/** A leaf's redistribute-neighbor agent, started again as its boot would (or a supervisor after it died): the newest build installed, when there is one and its config. */
export async function startAgent(plan: Plan, node: string): Promise<void> {
  const agent = agentOf(labNode(plan, node));
  if (!agent?.shipped) return;
  const p = builtNode(plan, node);
  const dir = (await nodeSh(p, `ls -dt ${AGENT_ROOT}/rdnbrd-*/ 2>/dev/null | head -n 1`)).trim().replace(/\/$/, '');
  if (!dir || !(await nodeSh(p, `test -f /etc/rdnbrd.conf && test -f ${dir}/main.js && echo yes || true`)).trim()) return;
  await nodeSh(p, agent.ensure(dir, false));
}

/**
 * An impairment from people's words (`{ loss: '20%', rate: '10mbit', delay: 50 }`), checked:
 * a usage error naming `where` and the flag when a value cannot be read.
 */
export function parseImpairment(values: Partial<Record<ImpairKey, unknown>>, where: string): Impairment {
  const out: Impairment = {};
  for (const key of IMPAIR_KEYS) {
    if (values[key] === undefined) continue;
    const r = parseImpairValue(key, values[key]);
    if ('problem' in r) throw new UsageError(`${where}: --${key} ${quote(values[key])} ${r.problem} (hint: ${r.hint})`);
    out[key] = r.value;
  }
  const [problem] = impairmentProblems(out);
  if (problem) throw new UsageError(`${where}: --${problem.key}: ${problem.problem} (hint: ${problem.hint})`);
  return out;
}

function requireLabImpair(plan: Plan): void {
  if (plan.provider !== 'lab') throw new UsageError(`lab impair: ${plan.file} is provider ${plan.provider}; impairments are put on the lab's links only`);
  requireLabRoot('impair');
}

/** The link of `endpoint` impaired in both directions; replaces what it had. */
export async function impair(plan: Plan, endpoint: string, spec: Impairment): Promise<LinkImpairment> {
  const link = findLink(plan, endpoint);
  requireLabImpair(plan);
  await assertNetem(spec, linkName(link));
  return labImpair(plan, link, spec);
}

/** Impairments taken off one link (`endpoint`) or every link; resolves to what was there. */
export async function clearImpairments(plan: Plan, endpoint?: string): Promise<LinkImpairment[]> {
  const links = endpoint === undefined ? plan.links : [findLink(plan, endpoint)];
  requireLabImpair(plan);
  return labClear(plan, links);
}

/** The impairments in force, read from the nodes. */
export async function listImpairments(plan: Plan): Promise<LinkImpairment[]> {
  requireLabImpair(plan);
  return labImpairments(plan);
}
