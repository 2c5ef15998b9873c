/**
 * A drill's actions, each read from its compact form (`spine01:swp4 down`, `leaf04 frr`) and
 * checked against the topology: the node is there, the port is an end of one of its links,
 * the platform has that service. Every problem is reported where it stands.
 */
import { quote } from '../errors.js';
import { agentOf, platformOf } from '../platforms/index.js';
import { describeImpairment, IMPAIR_KEYS, impairmentProblems, isEmptyImpairment, parseImpairValue, type Impairment } from '../topology/impair.js';
import type { Path } from '../topology/load.js';
import type { DrillContext } from './load.js';
import type { ActionPart } from './model.js';
import type { RawStep } from './schema.js';

type Part = ActionPart | undefined;

export function actionPart(s: RawStep, i: number, ctx: DrillContext): Part {
  const path = (key: string): Path => ['steps', i, key];
  if (s.link !== undefined) return linkStep(s.link, path('link'), ctx);
  if (s.node !== undefined) return nodeStep(s.node, path('node'), ctx);
  if (s.impair !== undefined) return impairStep(s.impair, path('impair'), ctx);
  if (s.clear !== undefined) return withEndpoint(s.clear, path('clear'), ctx, (endpoint) => ({ kind: 'clear', endpoint, text: `clear ${endpoint}` }));
  if (s.exec !== undefined) return execStep(s.exec, path('exec'), ctx);
  if (s.local !== undefined) return nonEmpty(s.local, path('local'), ctx, 'local') ? { kind: 'local', command: s.local, text: `local ${s.local}` } : undefined;
  if (s.cldemo !== undefined) return cldemoStep(s.cldemo, path('cldemo'), ctx);
  if (s.restart !== undefined) return serviceStep('restart', s.restart, path('restart'), ctx);
  if (s.kill !== undefined) return serviceStep('kill', s.kill, path('kill'), ctx);
  return waitStep(s.wait!, path('wait'), ctx);
}

function linkStep(value: string, path: Path, ctx: DrillContext): Part {
  const m = /^(\S+)\s+(down|up)$/.exec(value.trim());
  if (!m) return void ctx.report(path, `link ${quote(value)} is not 'NODE:PORT down' or 'NODE:PORT up'`, 'e.g. link: spine01:swp4 down');
  const action = m[2] as 'down' | 'up';
  return withEndpoint(m[1], path, ctx, (endpoint) => ({ kind: 'link', endpoint, action, text: `link ${endpoint} ${action}` }));
}

function nodeStep(value: string, path: Path, ctx: DrillContext): Part {
  const m = /^(\S+)\s+(down|hang|up)$/.exec(value.trim());
  if (!m) return void ctx.report(path, `node ${quote(value)} is not 'NODE down', 'NODE hang' or 'NODE up'`, 'e.g. node: spine01 hang');
  if (!ctx.node(m[1], path)) return undefined;
  if (ctx.plan.provider !== 'lab') {
    return void ctx.report(path, `node ${m[1]} ${m[2]}: only the lab's nodes can be powered down or frozen (topology ${ctx.plan.name} is provider ${ctx.plan.provider})`);
  }
  const action = m[2] as 'down' | 'hang' | 'up';
  return { kind: 'node', node: m[1], action, text: `node ${m[1]} ${action}` };
}

/** NODE:PORT must be an end of a link of the topology (a fabric link or a server's uplink). */
function withEndpoint(value: string, path: Path, ctx: DrillContext, make: (endpoint: string) => Part): Part {
  const m = /^([^:\s]+):([^:\s]+)$/.exec(value.trim());
  if (!m) return void ctx.report(path, `${quote(value)} is not NODE:PORT`, 'e.g. spine01:swp4, or server04:eth2 for a server uplink');
  if (!ctx.node(m[1], path)) return undefined;
  const ends = ctx.plan.links.flatMap((l) => [l.a, l.b]).filter((e) => e.node === m[1]);
  if (!ends.some((e) => e.port === m[2])) {
    const hint = ends.length ? `${m[1]}'s cabled ports: ${ends.map((e) => e.port).join(', ')}` : `${m[1]} has no link`;
    return void ctx.report(path, `${m[1]}:${m[2]} is not an end of a link of topology ${ctx.plan.name}`, hint);
  }
  return make(`${m[1]}:${m[2]}`);
}

/** An impairment's values read as `lab impair` and the topology read them (topology/impair.ts), each problem at its key. */
function impairStep(spec: NonNullable<RawStep['impair']>, path: Path, ctx: DrillContext): Part {
  const values: Impairment = {};
  let bad = false;
  for (const key of IMPAIR_KEYS) {
    if (spec[key] === undefined) continue;
    const r = parseImpairValue(key, spec[key]);
    if ('problem' in r) {
      bad = true;
      ctx.report([...path, key], `impair ${key} ${quote(spec[key])} ${r.problem}`, r.hint);
    } else values[key] = r.value;
  }
  for (const p of impairmentProblems(values)) {
    bad = true;
    ctx.report([...path, p.key], `impair: ${p.problem}`, p.hint);
  }
  if (!bad && isEmptyImpairment(values)) {
    return void ctx.report(path, 'impair: give at least one of loss, rate, delay, jitter, duplicate, corrupt', 'e.g. impair: { link: server04:eth2, loss: 5% }');
  }
  return withEndpoint(spec.link, [...path, 'link'], ctx, (endpoint) => ({ kind: 'impair', endpoint, spec: values, text: `impair ${endpoint} ${describeImpairment(values)}` }));
}

function execStep(e: NonNullable<RawStep['exec']>, path: Path, ctx: DrillContext): Part {
  const node = ctx.node(e.node, [...path, 'node']);
  if (!nonEmpty(e.command, [...path, 'command'], ctx, 'exec command') || !node) return undefined;
  return { kind: 'exec', node: node.name, command: e.command, text: `exec ${node.name}: ${e.command}` };
}

function cldemoStep(value: string, path: Path, ctx: DrillContext): Part {
  const args = value.trim().split(/\s+/).filter(Boolean);
  if (args.length === 0) return void ctx.report(path, 'cldemo: give a command line, e.g. up or ping-sweep');
  if (args.some((a) => a === '-t' || a.startsWith('--topology'))) return void ctx.report(path, `cldemo ${quote(value)}: the drill gives the topology (-t) itself`, 'leave -t out');
  return { kind: 'cldemo', args, text: `cldemo ${args.join(' ')}` };
}

function serviceStep(kind: 'restart' | 'kill', value: string, path: Path, ctx: DrillContext): Part {
  const m = /^(\S+)\s+(\S+)$/.exec(value.trim());
  const example = kind === 'restart' ? 'e.g. restart: leaf04 frr, restart: server04 docker' : 'e.g. kill: leaf04 agent';
  if (!m) return void ctx.report(path, `${kind} ${quote(value)} is not 'NODE SERVICE'`, example);
  const node = ctx.node(m[1], path);
  if (!node) return undefined;
  const services = platformOf(node).services ?? {};
  const can = Object.keys(services).filter((name) => services[name][kind] !== undefined && (name !== 'agent' || agentOf(node)));
  if (!can.includes(m[2])) {
    const hint = can.length ? `${m[1]} can ${kind}: ${can.join(', ')}` : `nothing on ${m[1]} can be ${kind === 'kill' ? 'killed' : 'restarted'} by a drill`;
    return void ctx.report(path, `${kind} ${m[1]} ${quote(m[2])}: ${m[1]} has no such service to ${kind}`, hint);
  }
  return { kind, node: m[1], service: m[2], text: `${kind} ${m[1]} ${m[2]}` };
}

function waitStep(seconds: number, path: Path, ctx: DrillContext): Part {
  if (!(seconds > 0 && seconds <= 3600)) return void ctx.report(path, `wait ${seconds} is out of range`, 'seconds: more than 0, at most 3600');
  return { kind: 'wait', seconds, text: `wait ${seconds} s` };
}

function nonEmpty(value: string, path: Path, ctx: DrillContext, what: string): boolean {
  if (value.trim()) return true;
  ctx.report(path, `${what}: the command is empty`);
  return false;
}
