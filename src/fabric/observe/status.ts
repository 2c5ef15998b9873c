/**
 * `cldemo status`: one look at the running fabric. One remote command per switch (BGP
 * summary, routes, neighbor table, agent) and one Docker API call per server, all at
 * once; the answers are parsed and judged here, purely, so unit tests feed canned text.
 */
import type { ContainerPlan, Plan, ServerPlan, SwitchPlan } from '../../topology/types.js';
import { LABEL_TOPOLOGY } from '../labels.js';
import { forEachNode, type FabricContext, type NodeOutcome } from '../context.js';
import { AGENT_PIDFILE, AGENT_ROOT } from '../../platforms/agents.js';
import { platformOf, type BgpPeer, type NeighborEntry, type PortState, type Show, type SwitchRoutes } from '../../platforms/index.js';
import { LIVE_STATES } from '../../rdnbrd/ip-lines.js';
import { checkAbsent, checkPassed, checkSwitch, familiesOf, type RouteCheck } from './routes.js';
import { sameFailures } from '../failures.js';
import { NodeError, messageOf, quote } from '../../errors.js';
import type { AgentState, ContainerStatus, FailureKind, ImpairmentInForce, LinkState, ServerStatus, StatusReport, SwitchStatus } from './formats.js';

const MARK = '@@cldemo-status@@';

/** The one command a switch runs: BGP summary, routes, neighbors, agent, separated by marks. */
export function switchStatusCommand(plan: Plan, sw: SwitchPlan): string {
  const { show } = platformOf(sw);
  const parts = [
    `${show.failures.prelude}; ${show.bgp.command()}`,
    show.routes.command({ ...(sw.role === 'leaf' ? { routeTable: plan.redistributeNeighbor.routeTable } : {}), ipv6: plan.ipv6 !== undefined }),
    sw.role === 'leaf' ? show.neighbors.command(plan.ipv6 !== undefined) : 'echo "[]"',
    sw.role === 'leaf' ? agentCommand(sw) : 'true',
    platformOf(sw).ports?.show.command() ?? 'true',
  ];
  return parts.join(`; echo; echo ${MARK}; `);
}

/** The switch's cabled ports and what is at their other end, as the plan has them. */
function cabled(sw: SwitchPlan): Array<{ port: string; peer: string }> {
  const fabric = sw.fabricPorts.map((p) => ({ port: p.port, peer: `${p.peer}:${p.peerPort}` }));
  return [...fabric, ...sw.serverPorts.map((p) => ({ port: p.port, peer: `${p.server}:${p.serverInterface}` }))];
}

function linkStates(sw: SwitchPlan, text: string): LinkState[] | undefined {
  const ports = platformOf(sw).ports;
  // no platform command, or no answer in the section: nothing is known of its links
  if (!ports || !text.trim()) return undefined;
  const wanted = cabled(sw);
  let states: PortState[];
  try {
    states = ports.show.parse(text, wanted.map((w) => w.port));
  } catch (e) {
    throw new StatusFailure(sw.name, 'parse', `its ports (${ports.show.command()}): ${messageOf(e)} (the answer began ${quote(text.trim().slice(0, 40))})`);
  }
  return wanted.map((w, i): LinkState => {
    const st = states[i];
    const state = !st.exists ? 'missing' : st.admin === 'down' ? 'admin-down' : st.carrier ? 'up' : 'down';
    return { port: w.port, peer: w.peer, state };
  });
}

function agentCommand(sw: SwitchPlan): string {
  const agent = platformOf(sw).agent;
  if (!agent.shipped) return `echo "$(${agent.status()})"`;
  const alive = `pid=$(cat ${AGENT_PIDFILE} 2>/dev/null); if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null`;
  return `${alive}; then echo "running $pid $(tr '\\0' ' ' < /proc/$pid/cmdline)"; else echo stopped; fi`;
}

export interface SwitchAnswer {
  bgp: BgpPeer[];
  routes: SwitchRoutes;
  neighbors: NeighborEntry[];
  agent?: AgentState;
  links?: LinkState[];
}

/**
 * The answer of switchStatusCommand, read. Throws a StatusFailure (kind `vtysh`) when vtysh
 * failed, and (kind `parse`) when an answer is not what its command prints.
 */
export function parseSwitchStatus(stdout: string, sw: SwitchPlan, routeTableSize?: number): SwitchAnswer {
  const { show } = platformOf(sw);
  const { text, failed } = show.failures.take(stdout);
  if (failed.length) throw new StatusFailure(sw.name, 'vtysh', failed.join('; '));
  const [bgpText = '', routesText = '', neighText = '', agentText = '', portsText = ''] = text.split(MARK);
  const bgp = readAnswer(sw, show.bgp, bgpText) ?? [];
  const routes = readAnswer(sw, show.routes, routesText.replace(/^\s*\n/, ''));
  const neighbors = readAnswer(sw, show.neighbors, neighText);
  const answer: SwitchAnswer = { bgp, routes, neighbors };
  if (sw.role === 'leaf') answer.agent = parseAgent(agentText.trim(), routeTableSize ?? routes.table.length, routes.table6?.length);
  const links = linkStates(sw, portsText);
  if (links) answer.links = links;
  return answer;
}

/** A show command's answer, read by its platform; one it cannot read fails the node, naming the command and how the answer began. */
function readAnswer<T, A extends unknown[]>(sw: SwitchPlan, show: Show<T, A>, text: string): T {
  try {
    return show.parse(text);
  } catch (e) {
    throw new StatusFailure(sw.name, 'parse', `${show.what}: ${messageOf(e)} (the answer began ${quote(text.trim().slice(0, 40))})`);
  }
}

function parseAgent(line: string, neighbors: number, neighbors6: number | undefined): AgentState {
  const [state, pid, ...cmd] = line.split(/\s+/);
  const held = { neighbors, ...(neighbors6 === undefined ? {} : { neighbors6 }) };
  if (state !== 'running') return { state: 'stopped', ...held };
  const version = cmd.join(' ').match(new RegExp(`${AGENT_ROOT}/rdnbrd-([0-9a-f]+)/`))?.[1];
  return { state: 'running', ...(Number(pid) > 0 ? { pid: Number(pid) } : {}), ...(version ? { version } : {}), ...held };
}

const FAILURE_WORDS: Record<FailureKind, string> = {
  ssh: 'unreachable (ssh: ',
  timeout: 'no answer: ',
  vtysh: 'vtysh failed: ',
  parse: 'could not parse ',
  docker: 'dockerd did not answer: ',
};

/** A node whose state could not be read; the message says which way (its first words), and how. */
export class StatusFailure extends NodeError {
  constructor(
    node: string,
    readonly kind: FailureKind,
    detail: string,
  ) {
    super(node, `${FAILURE_WORDS[kind]}${detail}${kind === 'ssh' ? ')' : ''}`);
  }
}

/** The kind a status failure's message names by its first words; any other failure is the connection's. */
function failureKind(error: string): FailureKind {
  return (Object.keys(FAILURE_WORDS) as FailureKind[]).find((k) => error.startsWith(FAILURE_WORDS[k])) ?? 'ssh';
}

/** What reading a node's state throws: the connection's failure, or the command's (too slow, or failed). */
function asFailure(node: string, stage: 'connect' | 'command' | 'docker', e: unknown): StatusFailure {
  if (e instanceof StatusFailure) return e;
  const message = messageOf(e).replace(`${node}: `, '');
  if (stage === 'command' && /^timed out after (\d+) ms/.test(message)) {
    return new StatusFailure(node, 'timeout', `the status command took longer than ${STATUS_TIMEOUT_MS / 1000} s (vtysh or the switch hung)`);
  }
  if (stage === 'docker') return new StatusFailure(node, 'docker', message);
  return new StatusFailure(node, 'ssh', message);
}

const STATUS_TIMEOUT_MS = 10_000;

async function readServer(ctx: FabricContext, server: ServerPlan): Promise<Map<string, string>> {
  const conn = await ctx.connect(server).catch((e: unknown) => {
    throw asFailure(server.name, 'connect', e);
  });
  const list = await conn
    .docker()
    .listContainers({ label: `${LABEL_TOPOLOGY}=${ctx.plan.name}` })
    .catch((e: unknown) => {
      throw asFailure(server.name, ctx.connectionLost?.(server.name) ? 'connect' : 'docker', e);
    });
  return new Map(list.map((c) => [c.name, c.state || 'unknown']));
}

async function readSwitch(ctx: FabricContext, sw: SwitchPlan): Promise<SwitchAnswer> {
  const conn = await ctx.connect(sw).catch((e: unknown) => {
    throw asFailure(sw.name, 'connect', e);
  });
  const r = await conn.exec(switchStatusCommand(ctx.plan, sw), { timeoutMs: STATUS_TIMEOUT_MS }).catch((e: unknown) => {
    throw asFailure(sw.name, 'command', e);
  });
  return parseSwitchStatus(r.stdout, sw);
}

export async function fabricStatus(ctx: FabricContext): Promise<StatusReport> {
  const started = Date.now();
  const { plan } = ctx;
  const [switchOutcomes, serverOutcomes, impairments] = await Promise.all([
    forEachNode(plan.switches, ctx.parallel, (sw) => readSwitch(ctx, sw)),
    forEachNode(plan.servers, ctx.parallel, (s) => readServer(ctx, s)),
    readImpairments(ctx),
  ]);
  return judge(plan, switchOutcomes, serverOutcomes, { started, now: Date.now() }, impairments);
}

/** What the provider can say of the impairments in force (the lab: read from its nodes); a failure to read is a problem, not a crash. */
async function readImpairments(ctx: FabricContext): Promise<ImpairmentInForce[] | string | undefined> {
  if (!ctx.impairments) return undefined;
  return ctx.impairments().catch((e: unknown) => `impairments could not be read: ${messageOf(e)}`);
}

/** Pure: the nodes' answers judged against the plan. */
export function judge(
  plan: Plan,
  switchOutcomes: NodeOutcome<SwitchAnswer>[],
  serverOutcomes: NodeOutcome<Map<string, string>>[],
  time: { started: number; now: number },
  impairments?: ImpairmentInForce[] | string,
): StatusReport {
  const answers = new Map(switchOutcomes.filter((o) => o.ok).map((o) => [o.node, o.value!]));
  const dockers = new Map(serverOutcomes.filter((o) => o.ok).map((o) => [o.node, o.value!]));
  const unreachable = [...switchOutcomes, ...serverOutcomes].filter((o) => !o.ok);
  const { switches, trouble, held } = judgeSwitches(plan, switchOutcomes, answers);
  const servers = judgeServers(plan, serverOutcomes, dockers);
  const containers = plan.containers.map((c) => containerStatus(plan, c, dockers, answers, held));
  const problems = [
    ...sameFailures(unreachable.map((o) => ({ node: o.node, error: o.error ?? 'failed' }))),
    ...sameFailures(trouble),
    ...linkProblems(plan, switches),
    ...containerProblems(containers),
    ...(typeof impairments === 'string' ? [impairments] : []),
  ];
  return {
    name: plan.name,
    ok: problems.length === 0,
    problems,
    switches,
    servers,
    containers,
    ...(Array.isArray(impairments) ? { impairments } : {}),
    timestamp: new Date(time.now).toISOString(),
    elapsed_ms: time.now - time.started,
  };
}

/** Each switch's BGP and routes against the plan; `held`: the host routes (/32s, /128s) each switch holds. */
function judgeSwitches(plan: Plan, outcomes: NodeOutcome<SwitchAnswer>[], answers: Map<string, SwitchAnswer>) {
  const trouble: Array<{ node: string; error: string }> = [];
  const held = new Map<string, Set<string>>(); // switch -> host routes it holds
  const switches = plan.switches.map((sw, i): SwitchStatus => {
    const a = answers.get(sw.name);
    if (!a) return { name: sw.name, role: sw.role, reachable: false, ...failureOf(outcomes[i]) };
    const checks = familiesOf(plan).map((f) => checkSwitch(plan, sw, a.routes, f));
    held.set(sw.name, new Set(familiesOf(plan).flatMap((f) => checkAbsent(plan, sw, a.routes, f).present)));
    const up = a.bgp.filter((p) => p.state === 'Established').length;
    const status: SwitchStatus = {
      name: sw.name,
      role: sw.role,
      reachable: true,
      bgp: { up, total: a.bgp.length, peers: a.bgp },
      routes: routeSummary(checks[0]),
      ...(checks[1] ? { routes6: routeSummary(checks[1]) } : {}),
      ...(a.agent ? { agent: a.agent } : {}),
      ...(a.links ? { links: a.links } : {}),
    };
    trouble.push(...switchProblems(sw, status, checks));
    return status;
  });
  return { switches, trouble, held };
}

/** Each server's containers: how many run of those planned. */
function judgeServers(plan: Plan, outcomes: NodeOutcome<Map<string, string>>[], dockers: Map<string, Map<string, string>>): ServerStatus[] {
  return plan.servers.map((s, i): ServerStatus => {
    const list = dockers.get(s.name);
    if (!list) return { name: s.name, reachable: false, ...failureOf(outcomes[i]) };
    const running = s.containers.filter((c) => list.get(c.name) === 'running').length;
    return { name: s.name, reachable: true, containers: { running, total: list.size, expected: s.containers.length } };
  });
}

function failureOf(o: NodeOutcome<unknown>): { error: string; failure: FailureKind } {
  const error = o.error ?? 'failed';
  return { error, failure: failureKind(error) };
}

function routeSummary(check: RouteCheck): NonNullable<SwitchStatus['routes']> {
  return {
    expected: check.present.length + check.missing.length + check.wrong_nexthop.length,
    present: check.present.length,
    missing: check.missing,
    unexpected: check.unexpected,
    wrong_nexthop: check.wrong_nexthop.map((w) => w.prefix),
  };
}

/** What is wrong with one switch, without its name: the same words on several switches are grouped. */
function switchProblems(sw: SwitchPlan, s: SwitchStatus, checks: RouteCheck[]): Array<{ node: string; error: string }> {
  const out: string[] = [];
  const bgp = s.bgp!;
  const configured = sw.fabricPorts.length;
  if (bgp.total === 0 && configured > 0) out.push('no BGP sessions configured (run cldemo up)');
  else if (bgp.up < bgp.total) {
    const down = bgp.peers.filter((p) => p.state !== 'Established').map((p) => `${p.name} ${p.state}`);
    out.push(`BGP ${bgp.up}/${bgp.total} sessions up (down: ${down.join(', ')})`);
  }
  checks.forEach((check, i) => {
    if (checkPassed(check, false)) return;
    const summary = i === 0 ? s.routes! : s.routes6!;
    out.push(`${i === 0 ? '/32s' : '/128s'} ${summary.present}/${summary.expected}, ${routeTrouble(check)}`);
  });
  if (s.agent && s.agent.state !== 'running' && sw.serverPorts.length > 0) out.push('redistribute-neighbor agent not running');
  return out.map((error) => ({ node: sw.name, error }));
}

function routeTrouble(check: RouteCheck): string {
  const some = (xs: string[]) => `${xs.slice(0, 3).join(' ')}${xs.length > 3 ? ` and ${xs.length - 3} more` : ''}`;
  return [
    check.missing.length && `missing ${some(check.missing)}`,
    check.unexpected.length && `unexpected ${some(check.unexpected)}`,
    check.wrong_nexthop.length && `wrong next hop for ${some(check.wrong_nexthop.map((w) => w.prefix))}`,
  ]
    .filter(Boolean)
    .join(', ');
}

function containerStatus(
  plan: Plan,
  c: ContainerPlan,
  dockers: Map<string, Map<string, string>>,
  answers: Map<string, SwitchAnswer>,
  held: Map<string, Set<string>>,
): ContainerStatus {
  const list = dockers.get(c.server);
  const state = list ? (list.get(c.name) ?? 'missing') : 'unknown';
  const leaf = answers.get(c.leaf);
  const neighbor = (ip: string) => {
    const entry = leaf?.neighbors.find((n) => n.dst === ip && (!n.dev || n.dev === c.leafPort));
    return !leaf ? 'unknown' : entry ? (entry.state ?? []).join(',') || 'NONE' : 'none';
  };
  const routedOn = (prefix: string) => [...held.values()].filter((s) => s.has(prefix)).length;
  const v6 = c.ip6 ? { ip6: c.ip6, nd: neighbor(c.ip6), routed6_on: routedOn(`${c.ip6}/128`) } : {};
  return {
    ...{ name: c.name, ip: c.ip, server: c.server, leaf: c.leaf, port: c.leafPort, state, arp: neighbor(c.ip), routed_on: routedOn(`${c.ip}/32`) },
    ...v6,
    switches: plan.switches.length,
  };
}

/** A leaf's neighbor state that answers (unknown: its leaf was not read, already said). */
function live(state: string): boolean {
  return state === 'unknown' || state.split(',').some((s) => LIVE_STATES.has(s));
}

/** One line per link that a switch at either end reports not up, saying how each end sees it. */
function linkProblems(plan: Plan, switches: SwitchStatus[]): string[] {
  const state = new Map<string, LinkState['state']>(); // node:port -> its state
  for (const s of switches) for (const l of s.links ?? []) state.set(`${s.name}:${l.port}`, l.state);
  const words: Record<LinkState['state'], string> = { up: 'up', down: 'no carrier', 'admin-down': 'admin down', missing: 'no such port' };
  return plan.links.flatMap((l) => {
    const ends = [`${l.a.node}:${l.a.port}`, `${l.b.node}:${l.b.port}`].filter((e) => state.has(e));
    if (ends.every((e) => state.get(e) === 'up')) return [];
    return [`link ${l.a.node}:${l.a.port} -- ${l.b.node}:${l.b.port} down (${ends.map((e) => `${e} ${words[state.get(e)!]}`).join(', ')})`];
  });
}

/** One line per kind of trouble, listing the containers it hits. */
function containerProblems(containers: ContainerStatus[]): string[] {
  const groups = new Map<string, string[]>();
  const add = (what: string, name: string) => groups.set(what, [...(groups.get(what) ?? []), name]);
  for (const c of containers) {
    if (c.state === 'unknown') continue; // its server's failure is already said
    if (c.state !== 'running') add(`not running (${c.state})`, c.name);
    else if (!live(c.arp)) add(`no live ARP entry on its leaf (run cldemo ping-sweep)`, c.name);
    else if (c.nd !== undefined && !live(c.nd)) add(`no live neighbor (NDP) entry on its leaf (run cldemo ping-sweep)`, c.name);
    else if (c.routed_on < c.switches) add(`/32 missing on some switches`, `${c.name} (${c.routed_on}/${c.switches})`);
    else if (c.routed6_on !== undefined && c.routed6_on < c.switches) add(`/128 missing on some switches`, `${c.name} (${c.routed6_on}/${c.switches})`);
  }
  return [...groups].map(([what, names]) => `${names.length === 1 ? 'container' : `${names.length} containers`} ${what}: ${names.join(', ')}`);
}
