/**
 * Reading a drill: the topology's reader (positions kept; hostile YAML refused at its
 * file:line), the drill schema, then rules that resolve every step against the topology and
 * report every problem at once, each at its place. A drill that does not fit the topology it
 * is run on (a node that is not there, BFD required and off) is bad input too: exit 2.
 */
import { basename } from 'node:path';
import { quote, TopologyError, type Problem } from '../errors.js';
import { DEFAULT_RATE } from '../measure/index.js';
import { DEFAULT_MESH } from '../measure/mesh.js';
import { readSource, parseWith, problemAt, type FileKind, type JsonSchema, type Path, type Source } from '../topology/load.js';
import type { NodePlan, Plan } from '../topology/types.js';
import { checkPart, expectationPart } from './resolve-checks.js';
import { actionPart } from './resolve-actions.js';
import { ACTIONS, CHECKS, drillJsonSchema, drillSchema, type RawDrill, type RawStep } from './schema.js';
import type { Drill, Step } from './model.js';

const DRILL_FILE: FileKind = { noun: 'drill', nests: 4, missing: 'give the path of a drill file (drills/*.yaml holds some)' };

/** What resolving a drill's parts needs: the topology, and a way to report a problem where it stands. */
export interface DrillContext {
  plan: Plan;
  report(path: Path, message: string, hint?: string): void;
  node(name: string, path: Path): NodePlan | undefined;
  /** the file's line of the value at `path` */
  lineOf(path: Path): number;
}

let json: JsonSchema | undefined;

/** Reads and checks a drill against `plan`; throws one TopologyError listing every problem. */
export function loadDrill(file: string, plan: Plan, text?: string | Uint8Array): Drill {
  const src = readSource(file, text, DRILL_FILE);
  json ??= drillJsonSchema() as JsonSchema;
  const raw = parseWith(src, drillSchema, { json, unionHint: () => 'unexpected value', keysDoc: 'docs/drills.md' });
  const problems: Problem[] = [];
  const ctx = drillContext(plan, src, problems);
  const drill = resolve(raw, file, ctx);
  if (problems.length) throw new TopologyError(problems.sort((a, b) => a.line - b.line || a.col - b.col));
  return drill;
}

function drillContext(plan: Plan, src: Source, problems: Problem[]): DrillContext {
  const report = (path: Path, message: string, hint?: string) => problems.push(problemAt(src, path, message, hint));
  const nodes = new Map<string, NodePlan>([...plan.switches, ...plan.servers].map((n) => [n.name, n]));
  return {
    plan,
    report,
    lineOf: (path) => problemAt(src, path, '').line,
    node(name, path) {
      const n = nodes.get(name);
      if (!n) report(path, `node ${quote(name)} is not in topology ${plan.name}`, `its nodes: ${[...nodes.keys()].slice(0, 8).join(', ')}${nodes.size > 8 ? ', ...' : ''}`);
      return n;
    },
  };
}

function resolve(raw: RawDrill, file: string, ctx: DrillContext): Drill {
  requirements(raw, ctx);
  if (raw.steps.length === 0) ctx.report(['steps'], 'steps: a drill needs at least one step', 'e.g. - node: spine01 hang');
  const steps = raw.steps.flatMap((s, i) => stepOf(s, i, ctx) ?? []);
  const expectations = raw.expect.flatMap((e, i) => expectationPart(e, i, ctx) ?? []);
  return { name: raw.name ?? basename(file).replace(/\.ya?ml$/, ''), description: raw.description, file, measure: measureOf(raw, ctx), steps, expectations };
}

/** One step: exactly one action or check key; `within` on checks only. */
function stepOf(s: RawStep, i: number, ctx: DrillContext): Step | undefined {
  const path: Path = ['steps', i];
  const keys = [...ACTIONS, ...CHECKS].filter((k) => s[k] !== undefined);
  if (keys.length !== 1) {
    const said = keys.length === 0 ? 'says nothing to do' : `says ${keys.length} things at once (${keys.join(', ')})`;
    ctx.report(path, `step ${i + 1} ${said}`, `one of ${ACTIONS.join(', ')} (actions) or ${CHECKS.join(', ')} (checks) per step`);
    return undefined;
  }
  const isCheckKey = (CHECKS as readonly string[]).includes(keys[0]);
  if (!isCheckKey && s.within !== undefined) {
    ctx.report([...path, 'within'], `step ${i + 1}: within belongs to a check (${CHECKS.join(', ')}), not to ${keys[0]}`, 'an action runs once; give a wait step after it');
  }
  const part = isCheckKey ? checkPart(s, i, ctx) : actionPart(s, i, ctx);
  return part ? { ...part, line: ctx.lineOf(path), ...(s.message === undefined ? {} : { message: s.message }) } : undefined;
}

/** `requires:` against the topology the drill is run on. */
function requirements(raw: RawDrill, ctx: DrillContext): void {
  const r = raw.requires;
  if (!r) return;
  const have = { bfd: ctx.plan.bgp.bfd !== undefined, graceful_restart: ctx.plan.bgp.gracefulRestart !== undefined };
  for (const key of ['bfd', 'graceful_restart'] as const) {
    if (r[key] === undefined || r[key] === have[key]) continue;
    const message = `this drill needs bgp.${key} ${r[key] ? 'on' : 'off'}, and topology ${ctx.plan.name} has it ${have[key] ? 'on' : 'off'}`;
    ctx.report(['requires', key], message, `run it on a topology with bgp: { ${key}: ${r[key]} }`);
  }
  if (r.provider !== undefined && r.provider !== ctx.plan.provider) {
    ctx.report(['requires', 'provider'], `this drill needs provider ${r.provider}, and topology ${ctx.plan.name} is ${ctx.plan.provider}`);
  }
}

function measureOf(raw: RawDrill, ctx: DrillContext): Drill['measure'] {
  const m = raw.measure ?? {};
  const rate = m.rate ?? DEFAULT_RATE;
  if (rate < 1 || rate > 50) ctx.report(['measure', 'rate'], `measure rate ${rate} is out of range`, 'probes per second per flow: 1-50');
  const peers = m.peers ?? DEFAULT_MESH.peers;
  if (peers < 1) ctx.report(['measure', 'peers'], `measure peers ${peers} must be at least 1`);
  return { rate, mesh: { kinds: m.kinds?.length ? [...new Set(m.kinds)] : DEFAULT_MESH.kinds, sources: m.from?.length ? [...new Set(m.from)] : DEFAULT_MESH.sources, peers } };
}
