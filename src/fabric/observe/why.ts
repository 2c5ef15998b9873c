/**
 * `cldemo why IP|CONTAINER`: the chain that makes one container reachable, link by link, judged
 * from what why-read.ts read (pure, so unit tests feed it facts), stopping at the first link
 * that does not hold: the topology places it; Docker runs it on its macvlan network; the cable
 * from its server's uplink to its leaf's port is up; the leaf holds its ARP (NDP) entry; the
 * agent routes its /32 (/128) in its table; the leaf's FRR holds it and advertises it; every
 * other switch holds it by the expected next hops (topology/paths.ts); HTTP answers from
 * another rack. Each broken link is said in the fabric's words, with what to do about it.
 */
import { relative } from 'node:path';
import { UsageError, quote } from '../../errors.js';
import { agentOf, platformOf, type BgpNeighborView, type BgpRouteView, type NeighborEntry } from '../../platforms/index.js';
import { LIVE_STATES } from '../../rdnbrd/ip-lines.js';
import { canonicalIpv6, parseIpv4, parseIpv6 } from '../../topology/ip.js';
import type { ContainerPlan, Plan, ServerPlan, SwitchPlan } from '../../topology/types.js';
import type { LinkState, WhyLink, WhyReport } from './formats.js';
import { hostRouteOn, type Family } from './routes.js';
import { prefixesOf, type SwitchFacts, type WhyFacts } from './why-read.js';

/** The container `target` names: by name, or by its IPv4 or IPv6 address (any spelling); bad input is a usage error. */
export function whichContainer(plan: Plan, target: string): ContainerPlan {
  const t = target.trim();
  const byName = plan.containers.find((c) => c.name === t);
  if (byName) return byName;
  const bare = t.replace(/\/(32|128)$/, '');
  if (parseIpv4(bare) !== null) {
    const c = plan.containers.find((x) => x.ip === bare);
    if (c) return c;
  } else if (parseIpv6(bare) !== null) {
    const canonical = canonicalIpv6(bare);
    const c = plan.containers.find((x) => x.ip6 === canonical);
    if (c) return c;
  }
  throw new UsageError(`why ${quote(t)}: no container of topology ${plan.name} (${plan.file}) has that name or address`);
}

/** How a remedy names the topology: nothing for ./topology.yaml (the default), else ` -t PATH` (relative to here when that is shorter). */
function topologyFlag(plan: Plan): string {
  const rel = relative(process.cwd(), plan.file);
  if (rel === 'topology.yaml') return '';
  return ` -t ${rel.length < plan.file.length ? rel : plan.file}`;
}

/** Pure: the chain judged, up to its first broken link. */
export function judgeWhy(plan: Plan, c: ContainerPlan, facts: WhyFacts, elapsedMs = 0): WhyReport {
  const server = plan.servers.find((s) => s.name === c.server)!;
  const leaf = plan.switches.find((s) => s.name === c.leaf)!;
  const links: WhyLink[] = [{ link: 'topology', ok: true, node: c.server, says: `${c.server}, uplink ${server.uplink.interface} -> ${c.leaf} port ${c.leafPort}` }];
  const steps: Array<() => WhyLink | WhyLink[]> = [
    () => dockerLink(plan, c, server, facts),
    () => cableLink(plan, c, server, facts),
    ...familiesOfContainer(c).flatMap((f) => [
      () => neighborLink(c, f, facts),
      () => agentLink(plan, c, leaf, f, facts),
      () => frrLink(plan, c, leaf, f, facts),
      () => fabricLink(plan, c, f, facts),
    ]),
    () => httpLinks(c, facts),
  ];
  for (const step of steps) {
    const got = [step()].flat();
    links.push(...got);
    const broken = got.find((l) => !l.ok);
    if (broken) return report(c, false, links, broken, facts, elapsedMs);
  }
  return report(c, true, links, undefined, facts, elapsedMs);
}

function report(c: ContainerPlan, ok: boolean, links: WhyLink[], broken: WhyLink | undefined, facts: WhyFacts, elapsedMs: number): WhyReport {
  return {
    container: { name: c.name, ip: c.ip, ...(c.ip6 ? { ip6: c.ip6 } : {}), server: c.server, leaf: c.leaf, port: c.leafPort },
    ok,
    links,
    ...(broken ? { broken } : {}),
    timestamp: new Date(facts.now).toISOString(),
    elapsed_ms: elapsedMs,
  };
}

function familiesOfContainer(c: ContainerPlan): Family[] {
  return c.ip6 ? [4, 6] : [4];
}

const addressOf = (c: ContainerPlan, f: Family) => (f === 4 ? c.ip : c.ip6!);
const prefixOf = (c: ContainerPlan, f: Family) => prefixesOf(c)[f === 4 ? 0 : 1];
const neighborWord = (f: Family) => (f === 4 ? 'ARP' : 'NDP');

/** How long ago, in a person's unit. */
function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

function broken(link: WhyLink['link'], node: string, says: string, remedy: string, family?: Family): WhyLink {
  return { link, ...(family ? { family } : {}), ok: false, node, says, remedy };
}

function held(link: WhyLink['link'], node: string, says: string, family?: Family): WhyLink {
  return { link, ...(family ? { family } : {}), ok: true, node, says };
}

/** The leaf's neighbor entry for the address on the container's port (or on another port: said so). */
function neighborOf(c: ContainerPlan, f: Family, facts: WhyFacts): { entry?: NeighborEntry; elsewhere?: NeighborEntry } | undefined {
  const answer = facts.switches[c.leaf]?.answer;
  if (!answer) return undefined;
  const ip = addressOf(c, f);
  const all = answer.neighbors.filter((n) => n.dst === ip);
  return { entry: all.find((n) => !n.dev || n.dev === c.leafPort), elsewhere: all.find((n) => n.dev && n.dev !== c.leafPort) };
}

const isLive = (n: NeighborEntry | undefined) => (n?.state ?? []).some((s) => LIVE_STATES.has(s));

function dockerLink(plan: Plan, c: ContainerPlan, server: ServerPlan, facts: WhyFacts): WhyLink {
  const s = facts.server;
  const net = server.network;
  const up = `cldemo up${topologyFlag(plan)}`;
  if (s.error) return broken('docker', c.server, `${c.server}'s Docker engine did not answer: ${s.error}`, `check dockerd on ${c.server} (systemctl status docker), then ${up}`);
  if (!s.network) return broken('docker', c.server,
    `${c.server} has no Docker network ${net.name} (removed by hand?): ${c.name} cannot run`,
    `${up} (creates the network again and recreates its containers)`);
  if (s.network.parent !== net.parent) {
    return broken('docker', c.server,
      `network ${net.name} on ${c.server} is macvlan on ${s.network.parent ?? '(no parent)'}, not on the uplink ${net.parent}`,
      `${up} (recreates the network on ${net.parent})`);
  }
  const ct = s.container;
  if (!ct) return broken('docker', c.server, `${c.server} has no container ${c.name}`, up);
  const on = ct.networks[net.name];
  if (!on) {
    const others = Object.keys(ct.networks);
    return broken('docker', c.server, `${c.name} is not on network ${net.name} (it is on ${others.join(', ') || 'no network'})`, `${up} (recreates it)`);
  }
  if (!ct.running) return broken('docker', c.server, notRunning(c, ct, facts), `docker start ${c.name} on ${c.server}, or ${up}`);
  if (on.ip && on.ip !== c.ip) return broken('docker', c.server, `${c.name} has ${on.ip} on ${net.name}, not ${c.ip}`, `${up} (recreates it)`);
  const since = ct.startedAt ? ` for ${ago(facts.now - ct.startedAt)}` : '';
  return held('docker', c.server, `${c.name} running${since} on ${net.name} (macvlan on ${net.parent})`);
}

/** A stopped container, said from the leaf when the leaf has lost it: `leaf03 has no ARP entry for ...: the container exited 4 min ago (exit 137)`. */
function notRunning(c: ContainerPlan, ct: NonNullable<WhyFacts['server']['container']>, facts: WhyFacts): string {
  const when = ct.finishedAt ? ` ${ago(facts.now - ct.finishedAt)} ago` : '';
  const how = ct.oomKilled ? ' (killed: out of memory)' : ct.finishedAt ? ` (exit ${ct.exitCode})` : '';
  const what = ct.state === 'exited' ? `exited${when}${how}` : ct.state === 'created' ? 'was created but never started' : `is ${ct.state}${when ? `, stopped${when}` : ''}${how}`;
  const n = neighborOf(c, 4, facts);
  if (n && !isLive(n.entry)) return `${c.leaf} has no ARP entry for ${c.ip}: the container ${what} on ${c.server}`;
  return `${c.name} on ${c.server} ${what}${n?.entry ? ` (${c.leaf} still holds its ARP entry, ${(n.entry.state ?? []).join(',')}, until the agent's holdtime)` : ''}`;
}

const PORT_WORDS: Record<LinkState['state'], string> = { up: 'up', down: 'no carrier', 'admin-down': 'admin down', missing: 'missing' };

/** The cable from the server's uplink to the leaf's port: both ends up with carrier. */
function cableLink(plan: Plan, c: ContainerPlan, server: ServerPlan, facts: WhyFacts): WhyLink {
  const uplink = server.uplink.interface;
  const cable = `${c.server}:${uplink} -- ${c.leaf}:${c.leafPort}`;
  const leafEnd = facts.switches[c.leaf]?.answer?.links?.find((l) => l.port === c.leafPort)?.state;
  const u = facts.server.uplink;
  const serverEnd: LinkState['state'] | undefined = !u ? undefined : !u.exists ? 'missing' : u.admin === 'down' ? 'admin-down' : u.carrier ? 'up' : 'down';
  const labFix = plan.provider === 'lab' ? `; in the lab: cldemo lab link ${c.leaf}:${c.leafPort} up${topologyFlag(plan)}` : '';
  const ends = `${c.server}:${uplink} ${PORT_WORDS[serverEnd ?? 'up']}, ${c.leaf}:${c.leafPort} ${PORT_WORDS[leafEnd ?? 'up']}`;
  if (serverEnd === 'missing') return broken('cable', c.server, `${c.server} has no interface ${uplink} (its uplink to ${c.leaf}:${c.leafPort})`, `cldemo up${topologyFlag(plan)}`);
  if (leafEnd === 'missing') return broken('cable', c.leaf, `${c.leaf} has no port ${c.leafPort} (to ${c.server}:${uplink})`, `cldemo up${topologyFlag(plan)}`);
  if (serverEnd === 'admin-down' && leafEnd === 'admin-down') return broken('cable', c.leaf,
    `the cable ${cable} is down at both ends (admin down)`,
    `ip link set ${c.leafPort} up on ${c.leaf} and ${uplink} on ${c.server}${labFix}`);
  if (serverEnd === 'admin-down') return broken('cable', c.server, `${c.server}'s uplink ${uplink} is admin down (${ends})`, `ip link set ${uplink} up on ${c.server}`);
  if (leafEnd === 'admin-down') return broken('cable', c.leaf,
    `${c.leaf}'s port ${c.leafPort} to ${c.server} is admin down (${ends})`,
    `ip link set ${c.leafPort} up on ${c.leaf} (or ifreload -a there)`);
  if (serverEnd === 'down' || leafEnd === 'down') return broken('cable', c.leaf, `no carrier on the cable ${cable} (${ends})`, `check the cable and the far end's port${labFix}`);
  const said = serverEnd === undefined || leafEnd === undefined ? ' (one end not read)' : '';
  return held('cable', c.leaf, `${cable} up at both ends${said}`);
}

function neighborLink(c: ContainerPlan, f: Family, facts: WhyFacts): WhyLink {
  const leaf = facts.switches[c.leaf];
  const ip = addressOf(c, f);
  const word = neighborWord(f);
  if (!leaf?.answer) return broken('neighbor', c.leaf, `${c.leaf} could not be read: ${leaf?.error ?? 'no answer'}`, `check ${c.leaf}'s SSH and its management address`, f);
  const n = neighborOf(c, f, facts)!;
  const sweep = `cldemo ping-sweep (the leaf asks again), then cldemo why ${c.name}`;
  if (!n.entry && n.elsewhere) {
    return broken('neighbor', c.leaf,
      `${c.leaf} learned ${ip} on ${n.elsewhere.dev}, not on ${c.leafPort} (the server's cable is elsewhere, or another host has the address)`,
      `check the cabling against the topology (cldemo plan)`, f);
  }
  if (!n.entry) return broken('neighbor', c.leaf, `${c.leaf} has no ${word} entry for ${ip} on ${c.leafPort} although the container runs`, sweep, f);
  const state = (n.entry.state ?? []).join(',') || 'NONE';
  if (!isLive(n.entry)) return broken('neighbor', c.leaf,
    `${c.leaf}'s ${word} entry for ${ip} on ${c.leafPort} is ${state}: the container does not answer`,
    `check ${c.name}'s address on ${c.server} (docker exec ${c.name} ip addr), then ${sweep}`, f);
  return held('neighbor', c.leaf, `${c.leaf} holds ${ip} on ${c.leafPort} (${state})`, f);
}

function agentLink(plan: Plan, c: ContainerPlan, leaf: SwitchPlan, f: Family, facts: WhyFacts): WhyLink {
  const sf = facts.switches[c.leaf];
  const answer = sf.answer!;
  const agent = agentOf(leaf);
  const prefix = prefixOf(c, f);
  const where = f === 4 ? `table ${plan.redistributeNeighbor.routeTable}` : 'the main table (proto 72)';
  if (answer.agent && answer.agent.state !== 'running') {
    return broken('agent', c.leaf,
      `${c.leaf}'s redistribute-neighbor agent is not running: nothing turns its ${neighborWord(f)} entries into host routes`,
      `cldemo up${topologyFlag(plan)} (starts it again)`, f);
  }
  const route = hostRouteOn(plan, leaf, answer.routes, c, f)!;
  if (!route.actual) {
    const said = sf.agentSaid[prefix];
    const last = said ? `; its last word on it${said.at ? ` (${ago(facts.now - said.at)} ago)` : ''}: ${said.words}` : '';
    const fix = agent?.reconcile ? `${agent.reconcile} on ${c.leaf} (it reads its neighbors again)` : `restart the agent on ${c.leaf}`;
    return broken('agent', c.leaf, `${c.leaf}'s agent holds no ${prefix} in ${where}${last}`, fix, f);
  }
  if (!sameSet(route.actual, route.expected)) {
    return broken('agent', c.leaf,
      `${c.leaf}'s agent routes ${prefix} out of ${route.actual.join(' ')}, not ${c.leafPort}`,
      `${agent?.reconcile ?? 'restart the agent'} on ${c.leaf}`, f);
  }
  const pid = answer.agent?.pid ? ` (pid ${answer.agent.pid})` : '';
  return held('agent', c.leaf, `${c.leaf}'s agent${pid} routes ${prefix} in ${where} out of ${c.leafPort}`, f);
}

function remedies(sw: SwitchPlan): { start: string; reload: string } {
  const r = platformOf(sw).remedies;
  return { start: r ? `${r.startRouting} on ${sw.name}` : `start FRR on ${sw.name}`,
    reload: r ? `${r.reloadRouting} on ${sw.name}` : `restore ${sw.name}'s rendered routing config` };
}

function frrDown(sw: SwitchPlan, sf: SwitchFacts, f: Family): WhyLink | undefined {
  if (!sf.vtysh.length) return undefined;
  // `COMMANDS: what vtysh said`: what it said is enough
  const said = sf.vtysh[0].slice(sf.vtysh[0].indexOf(': ') + 2);
  return broken('frr', sw.name, `FRR on ${sw.name} does not answer (vtysh: ${said})`, remedies(sw).start, f);
}

/** The leaf's FRR holds the prefix as its own and sends it on every session that is up. */
function frrLink(plan: Plan, c: ContainerPlan, leaf: SwitchPlan, f: Family, facts: WhyFacts): WhyLink {
  const sf = facts.switches[c.leaf];
  const prefix = prefixOf(c, f);
  const down = frrDown(leaf, sf, f);
  if (down) return down;
  if (!platformOf(leaf).show.bgpRoute) return held('frr', c.leaf, `${c.leaf}'s platform cannot show one prefix's BGP entry: not checked`, f);
  const entry = sf.bgp[prefix];
  const own = entry?.paths.find((p) => p.from === undefined);
  if (!own) {
    const what = f === 4 ? `table ${plan.redistributeNeighbor.routeTable}` : 'the kernel';
    return broken('frr', c.leaf,
      `${c.leaf}'s BGP table has no ${prefix} of its own: FRR does not take it from ${what}`,
      `${remedies(leaf).reload} (the rendered redistribute lines)`, f);
  }
  const up = (sf.answer?.bgp ?? []).filter((p) => p.state === 'Established').map((p) => p.name);
  const notSent = up.filter((p) => !entry!.advertisedTo.includes(p));
  if (notSent.length) {
    const filters = notSent.flatMap((p) => outFilters(sf.sessions, p, f).map((x) => `${x} out on ${p}`));
    const why = filters.length ? `: ${filters.join(', ')}` : '';
    return broken('frr', c.leaf, `${c.leaf} does not advertise ${prefix} on ${notSent.join(' ')}${why}`, remedies(leaf).reload, f);
  }
  return held('frr', c.leaf, `${c.leaf} advertises ${prefix} on ${entry!.advertisedTo.join(' ') || '(no session up)'}`, f);
}

const afKey = (f: Family) => (f === 4 ? 'ipv4' : 'ipv6');
const inFilters = (sessions: BgpNeighborView[] | undefined, port: string, f: Family) => sessions?.find((s) => s.name === port)?.inbound[afKey(f)] ?? [];
const outFilters = (sessions: BgpNeighborView[] | undefined, port: string, f: Family) => sessions?.find((s) => s.name === port)?.outbound[afKey(f)] ?? [];

/** The other switches, nearest the container's leaf first (a switch's trouble is usually a nearer one's). */
function byDistance(plan: Plan, from: string): SwitchPlan[] {
  const byName = new Map(plan.switches.map((s) => [s.name, s]));
  const dist = new Map([[from, 0]]);
  const queue = [from];
  while (queue.length) {
    const name = queue.shift()!;
    for (const p of byName.get(name)?.fabricPorts ?? []) {
      if (dist.has(p.peer)) continue;
      dist.set(p.peer, dist.get(name)! + 1);
      queue.push(p.peer);
    }
  }
  return plan.switches.filter((s) => s.name !== from).sort((a, b) => (dist.get(a.name) ?? 1e9) - (dist.get(b.name) ?? 1e9));
}

/** Every other switch holds the prefix by the expected next hops; the first that does not is judged. */
function fabricLink(plan: Plan, c: ContainerPlan, f: Family, facts: WhyFacts): WhyLink {
  const prefix = prefixOf(c, f);
  const others = byDistance(plan, c.leaf);
  const wrong = others.filter((sw) => {
    const a = facts.switches[sw.name]?.answer;
    if (!a || facts.switches[sw.name].vtysh.length) return true;
    const r = hostRouteOn(plan, sw, a.routes, c, f)!;
    return !r.actual || !sameSet(r.actual, r.expected);
  });
  if (!wrong.length) return held('fabric', c.leaf, `${others.length} other switch${others.length === 1 ? '' : 'es'} hold ${prefix} by the expected next hops`, f);
  const link = judgeSwitchRoute(plan, c, wrong[0], f, facts);
  const more = wrong.slice(1).map((s) => s.name);
  if (more.length) link.says += ` (also wrong on ${more.slice(0, 4).join(' ')}${more.length > 4 ? ` and ${more.length - 4} more` : ''})`;
  return link;
}

function judgeSwitchRoute(plan: Plan, c: ContainerPlan, sw: SwitchPlan, f: Family, facts: WhyFacts): WhyLink {
  const sf = facts.switches[sw.name];
  const prefix = prefixOf(c, f);
  if (!sf?.answer) return broken('fabric', sw.name, `${sw.name} could not be read: ${sf?.error ?? 'no answer'}`, `check ${sw.name}'s SSH and its management address`, f);
  const down = frrDown(sw, sf, f);
  if (down) return { ...down, link: 'fabric' };
  const r = hostRouteOn(plan, sw, sf.answer.routes, c, f)!;
  const lacking = r.expected.filter((p) => !(r.actual ?? []).includes(p));
  const extra = (r.actual ?? []).filter((p) => !r.expected.includes(p));
  const head = !r.actual ? `${sw.name} does not hold ${prefix}` : `${sw.name} reaches ${prefix} by ${r.actual.join(' ')}, expected ${r.expected.join(' ')}`;
  for (const port of lacking) {
    const cause = portCause(plan, sw, port, prefix, f, facts);
    if (cause) return broken('fabric', cause.node, `${head}: ${cause.says}`, cause.remedy, f);
  }
  if (extra.length) {
    const path = sf.bgp[prefix]?.paths.find((p) => p.from !== undefined && extra.includes(p.from));
    const how = path ? ` (AS path ${path.aspath || 'empty'})` : '';
    return broken('fabric', sw.name, `${head}: it also routes it by ${extra.join(' ')}${how}, which the topology does not lead there`, remedies(sw).reload, f);
  }
  return broken('fabric', sw.name, `${head}: no path came from ${lacking.join(' ')} although the session is up`, `vtysh -c 'clear bgp * soft' on ${sw.name}`, f);
}

/** Why a switch has no (best) path to the prefix over one of its ports: the port, the session, a filter, or a better path. */
function portCause(plan: Plan, sw: SwitchPlan, port: string, prefix: string, f: Family, facts: WhyFacts): { node: string; says: string; remedy: string } | undefined {
  const sf = facts.switches[sw.name];
  const fp = sw.fabricPorts.find((p) => p.port === port);
  const peer = fp ? plan.switches.find((s) => s.name === fp.peer) : undefined;
  const pf = peer ? facts.switches[peer.name] : undefined;
  const far = fp ? `${fp.peer}:${fp.peerPort}` : '?';
  const state = sf.answer!.links?.find((l) => l.port === port)?.state;
  const farState = pf?.answer?.links?.find((l) => l.port === fp?.peerPort)?.state;
  if ((state && state !== 'up') || (farState && farState !== 'up')) {
    const lab = plan.provider === 'lab' ? `, or in the lab: cldemo lab link ${sw.name}:${port} up${topologyFlag(plan)}` : '';
    const ends = `${sw.name}:${port} ${PORT_WORDS[state ?? 'up']}, ${far} ${PORT_WORDS[farState ?? 'up']}`;
    const at = state === 'admin-down' ? sw.name : farState === 'admin-down' ? fp!.peer : sw.name;
    const atPort = at === sw.name ? port : fp!.peerPort;
    return { node: at, says: `the link ${sw.name}:${port} -- ${far} is down (${ends})`, remedy: `ip link set ${atPort} up on ${at}${lab}` };
  }
  const session = sf.answer!.bgp.find((p) => p.name === port);
  if (!session || session.state !== 'Established') {
    const mine = sf.sessions?.find((s) => s.name === port);
    const theirs = pf?.sessions?.find((s) => s.name === fp?.peerPort);
    const shut = mine?.adminShutdown ? sw : theirs?.adminShutdown ? peer : undefined;
    const words = `its BGP session on ${port} with ${fp?.peer ?? '?'} is ${session?.state ?? 'not configured'}`;
    if (shut) {
      const shutPort = shut === sw ? port : fp!.peerPort;
      return { node: shut.name,
        says: `${words} (shut down on ${shut.name}: neighbor ${shutPort} shutdown)`,
        remedy: `${remedies(shut).reload} (or no neighbor ${shutPort} shutdown)` };
    }
    const reset = mine?.lastReset ? `; last reset: ${mine.lastReset}` : '';
    return { node: sw.name, says: `${words}${reset}`, remedy: `vtysh -c 'clear bgp ${port}' on ${sw.name}; if it stays down, ${remedies(sw).reload}` };
  }
  const inbound = inFilters(sf.sessions, port, f);
  if (inbound.length) return { node: sw.name,
    says: `it filters what ${fp?.peer ?? port} sends on ${port} (${inbound.map((x) => `${x} in`).join(', ')})`,
    remedy: remedies(sw).reload };
  const outbound = peer ? outFilters(pf?.sessions, fp!.peerPort, f) : [];
  if (outbound.length) return { node: peer!.name,
    says: `${peer!.name} filters what it sends on ${fp!.peerPort} (${outbound.map((x) => `${x} out`).join(', ')})`,
    remedy: remedies(peer!).reload };
  return betterPath(sw, port, sf.bgp[prefix]);
}

/** The switch has the path over `port` but installed another: which one won, and on what. */
function betterPath(sw: SwitchPlan, port: string, entry: BgpRouteView | undefined): { node: string; says: string; remedy: string } | undefined {
  const mine = entry?.paths.find((p) => p.from === port);
  const best = entry?.paths.find((p) => p.best);
  if (!mine || !best || mine === best) return undefined;
  const reason = best.reason ?? 'BGP best-path selection';
  const weights = best.weight !== mine.weight ? ` (weight ${best.weight} over ${best.from ?? 'itself'}, ${mine.weight} over ${port})` : '';
  return { node: sw.name, says: `the path over ${best.from ?? 'itself'} wins on ${reason}${weights}, so ${port} is not used`, remedy: remedies(sw).reload };
}

function httpLinks(c: ContainerPlan, facts: WhyFacts): WhyLink[] {
  return facts.http.map((h) => {
    const ip = addressOf(c, h.family);
    const from = `from ${h.from} (${h.source})`;
    if (h.ok) return held('http', h.from, `HTTP ${h.status} from ${h.server} at ${ip}, ${from}`, h.family);
    const got = h.error ? `failed: ${h.error}` : h.status ? `answered ${h.status} ${h.server}`.trim() : 'had no answer';
    return broken('http', h.from,
      `GET http://${h.family === 6 ? `[${ip}]` : ip}/ ${from} ${got}`,
      `docker exec ${c.name} apache2ctl status on ${c.server} (is Apache up?); curl from ${h.from} by hand`, h.family);
  });
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
