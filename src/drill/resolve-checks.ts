/**
 * A drill's checks (during the steps) and expectations (on the whole drill), resolved against
 * the topology: which switches, which /32s, which container, which flows.
 */
import { quote } from '../errors.js';
import { probeLeaf } from '../fabric/observe/dataplane.js';
import { parseIpv4 } from '../topology/ip.js';
import type { Path } from '../topology/load.js';
import type { ContainerPlan } from '../topology/types.js';
import type { DrillContext } from './load.js';
import type { CheckPart, Expectation, FlowFilter } from './model.js';
import type { RawExpectation, RawStep } from './schema.js';

type Part = CheckPart | undefined;

const MAX_S = 3600;

export function checkPart(s: RawStep, i: number, ctx: DrillContext): Part {
  const within = s.within ?? 0;
  if (!(within >= 0 && within <= MAX_S)) ctx.report(['steps', i, 'within'], `within ${within} is out of range`, `seconds: 0 (check once) to ${MAX_S}`);
  const w = within > 0 ? ` within ${within} s` : '';
  if (s.verify !== undefined) {
    if (!s.verify) return void ctx.report(['steps', i, 'verify'], 'verify: false checks nothing', 'verify: true, or a routes check with absent: for routes that must be gone');
    return { kind: 'verify', within, text: `verify-routes green${w}` };
  }
  if (s.routes !== undefined) return routesCheck(s.routes, ['steps', i, 'routes'], ctx, within, w);
  if (s.bfd !== undefined) {
    const hint = 'give the topology bgp: { bfd: true }, or leave this step out';
    if (!ctx.plan.bgp.bfd) return void ctx.report(['steps', i, 'bfd'], `bfd: up checks BFD sessions, and topology ${ctx.plan.name} has bgp.bfd off`, hint);
    return { kind: 'bfd', within, text: `BFD up on every fabric session${w}` };
  }
  return httpCheck(s.http!, ['steps', i, 'http'], ctx, within, w);
}

function routesCheck(r: NonNullable<RawStep['routes']>, path: Path, ctx: DrillContext, within: number, w: string): Part {
  const switches = ctx.plan.switches.map((sw) => sw.name);
  const on = r.on ?? switches;
  r.on?.forEach((name, j) => {
    if (!ctx.node(name, [...path, 'on', j])) return;
    if (!switches.includes(name)) ctx.report([...path, 'on', j], `routes on ${name}: ${name} is a server; routes are read on switches`);
  });
  if (r.present === undefined && r.absent === undefined) {
    return void ctx.report(path, 'routes: say what must be present or absent', 'e.g. routes: { absent: [server04], on: [spine01] }');
  }
  const present = prefixes(r.present ?? [], [...path, 'present'], ctx);
  const absent = prefixes(r.absent ?? [], [...path, 'absent'], ctx);
  const said = [present.length ? `present ${short(present)}` : '', absent.length ? `absent ${short(absent)}` : ''].filter(Boolean).join(', ');
  return { kind: 'routes', on, present, absent, within, text: `routes ${said} on ${r.on ? on.join(' ') : 'every switch'}${w}` };
}

function short(prefixes: string[]): string {
  return prefixes.length <= 3 ? prefixes.join(' ') : `${prefixes.slice(0, 2).join(' ')} and ${prefixes.length - 2} more`;
}

/** Each item a container address or /32, a container's name, or a server's name (its containers): the /32s. */
function prefixes(items: string[], path: Path, ctx: DrillContext): string[] {
  return items.flatMap((item, j) => {
    const server = ctx.plan.servers.find((s) => s.name === item);
    if (server) return server.containers.map((c) => `${c.ip}/32`);
    const c = container(item, [...path, j], ctx, 'routes');
    return c ? [`${c.ip}/32`] : [];
  });
}

function container(item: string, path: Path, ctx: DrillContext, what: string): ContainerPlan | undefined {
  const ip = item.replace(/\/32$/, '');
  const c = ctx.plan.containers.find((x) => x.ip === ip || x.name === item);
  if (!c) {
    const hint = parseIpv4(ip) === null ? 'a container address, its /32, its name (server01-172.16.1.11) or a server name' : `no container of ${ctx.plan.name} has this address`;
    ctx.report(path, `${what}: ${quote(item)} is not a container of topology ${ctx.plan.name}`, hint);
  }
  return c;
}

function httpCheck(h: NonNullable<RawStep['http']>, path: Path, ctx: DrillContext, within: number, w: string): Part {
  const c = container(h.to, [...path, 'to'], ctx, 'http');
  let from = c ? probeLeaf(ctx.plan, c).name : '';
  if (h.from !== undefined) {
    const node = ctx.node(h.from, [...path, 'from']);
    if (node && node.role !== 'leaf') ctx.report([...path, 'from'], `http from ${h.from}: ${h.from} is a ${node.role}; the request leaves from a leaf's loopback`);
    from = h.from;
  }
  if (!c) return undefined;
  const text = `http ${c.name} from ${from} ${h.reachable ? 'answers' : 'does not answer'}${w}`;
  return { kind: 'http', to: { container: c.name, ip: c.ip }, from, reachable: h.reachable, within, text };
}

export function expectationPart(e: RawExpectation, i: number, ctx: DrillContext): Expectation | undefined {
  const path: Path = ['expect', i];
  const keys = (['loss_window', 'green'] as const).filter((k) => e[k] !== undefined);
  if (keys.length !== 1) {
    const said = keys.length ? 'says two things at once (loss_window, green)' : 'says nothing';
    return void ctx.report(path, `expectation ${i + 1} ${said}`, 'one of loss_window: { max: S } or green: { within: S } per entry');
  }
  const base = { line: ctx.lineOf(path), ...(e.message === undefined ? {} : { message: e.message }) };
  if (e.green) {
    if (!(e.green.within > 0 && e.green.within <= MAX_S)) {
      return void ctx.report([...path, 'green', 'within'], `green within ${e.green.within} is out of range`, `seconds: more than 0, at most ${MAX_S}`);
    }
    return { ...base, kind: 'green', withinMs: e.green.within * 1000, text: `green again within ${e.green.within} s` };
  }
  const l = e.loss_window!;
  if (!(l.max >= 0 && l.max <= MAX_S)) {
    return void ctx.report([...path, 'loss_window', 'max'], `loss_window max ${l.max} is out of range`, `seconds: 0 (not one probe lost) to ${MAX_S}`);
  }
  const flows = flowFilter(l, [...path, 'loss_window'], ctx);
  const which = [l.kind ?? '', l.from ? `from ${l.from}` : '', l.to ? `towards ${l.to}` : ''].filter(Boolean).join(' ');
  return { ...base, kind: 'loss_window', maxMs: l.max * 1000, flows, text: `loss window${which ? ` (${which})` : ''} at most ${l.max} s` };
}

function flowFilter(l: NonNullable<RawExpectation['loss_window']>, path: Path, ctx: DrillContext): FlowFilter {
  const filter: FlowFilter = l.kind ? { kind: l.kind } : {};
  if (l.from !== undefined) {
    const node = ctx.node(l.from, [...path, 'from']);
    if (node?.role === 'spine') ctx.report([...path, 'from'], `loss_window from ${l.from}: ${l.from} is a spine, which no flow starts on`, 'a leaf (its rack) or a server');
    else if (node) filter.from = node.role === 'leaf' ? { leaf: node.name } : { node: node.name };
  }
  if (l.to === undefined) return filter;
  const node = ctx.plan.switches.find((s) => s.name === l.to) ?? ctx.plan.servers.find((s) => s.name === l.to);
  if (node?.role === 'leaf') return { ...filter, to: { leaf: node.name } };
  if (node?.role === 'server') return { ...filter, to: { server: node.name } };
  if (node) return void ctx.report([...path, 'to'], `loss_window to ${l.to}: ${l.to} is a spine, which no flow ends on`, 'a leaf (its rack), a server or a container'), filter;
  const c = container(l.to, [...path, 'to'], ctx, 'loss_window to');
  return c ? { ...filter, to: { container: c.name } } : filter;
}
