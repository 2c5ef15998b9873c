/**
 * Running a drill: the fabric must be green first; then the probe mesh runs through every
 * step (actions one after the other, checks tried again until they hold or their time is
 * up), then the time back to green; then the expectations are judged on what was measured.
 * Every step runs even when one before failed: a restore must still happen after a failed
 * check. The outside (faults, commands on this machine) comes in as a DrillWorld.
 */
import { sleep } from '../concurrency.js';
import { messageOf, OperationError } from '../errors.js';
import type { FabricContext } from '../fabric/context.js';
import { httpPassed, httpProbeCommand, parseHttpProbe } from '../fabric/observe/dataplane.js';
import { runRemote } from '../fabric/remote.js';
import { holdsPrefix } from '../fabric/observe/routes.js';
import { readRoutes, verifyRoutes } from '../fabric/observe/verify-routes.js';
import type { LocalRun } from '../local-command.js';
import { MeasureSession, type GreenResult, type MeasureResult } from '../measure/index.js';
import { platformOf } from '../platforms/index.js';
import type { Impairment } from '../topology/impair.js';
import type { NodePlan } from '../topology/types.js';
import { checkFailure, failedLines, judgeCheck, judgeExpectation, type CheckOutcome } from './judge.js';
import { isCheck, type ActionStep, type CheckStep, type Drill, type Expectation, type Step } from './model.js';

/** What breaks things: the fault API (src/faults.ts: what `cldemo lab link|node|impair` call), or a fake of it. */
export interface FaultPort {
  link(endpoint: string, action: 'down' | 'up'): Promise<string>;
  node(node: string, action: 'down' | 'hang' | 'up'): Promise<string>;
  impair(endpoint: string, spec: Impairment): Promise<string>;
  clear(endpoint: string): Promise<string>;
}

export interface DrillWorld {
  ctx: FabricContext;
  faults: FaultPort;
  /** a shell command on this machine */
  local(command: string): Promise<LocalRun>;
  /** cldemo itself, with the drill's topology */
  cldemo(args: string[]): Promise<LocalRun>;
  /** a line of progress for people (stderr) */
  log(line: string): void;
}

export interface StepOutcome {
  line: number;
  step: string;
  kind: 'action' | 'check';
  ok: boolean;
  ms: number;
  /** checks: when the attempt that held began, ms after the step began (null: none held) */
  took_ms?: number | null;
  within_s?: number;
  /** what it did, or what went wrong */
  detail?: string;
  message?: string;
}

interface ExpectationOutcome {
  line: number;
  expect: string;
  ok: boolean;
  measured: string;
  message?: string;
}

export interface DrillReport {
  drill: string;
  file: string;
  topology: string;
  ok: boolean;
  steps: StepOutcome[];
  expectations: ExpectationOutcome[];
  /** one line per step or expectation that failed: `FILE:LINE: MESSAGE (WHAT)` */
  failed: string[];
  green: GreenResult;
  measure: MeasureResult;
}

export async function runDrill(drill: Drill, world: DrillWorld, opts: { greenTimeoutS?: number } = {}): Promise<DrillReport> {
  await greenBefore(world);
  world.log(`probing the fabric (${drill.measure.rate} probes/s per flow)`);
  const session = await MeasureSession.start(world.ctx, drill.measure);
  try {
    session.mark();
    const steps: StepOutcome[] = [];
    for (const step of drill.steps) {
      world.log(`line ${step.line}: ${step.text}`);
      steps.push(await runStep(step, world, session));
    }
    const timeout = Math.max(opts.greenTimeoutS ?? 60, ...drill.expectations.map((e) => (e.kind === 'green' ? e.withinMs / 1000 : 0)));
    world.log('waiting for green (verify-routes)');
    const green = await session.waitGreen(timeout);
    await session.observe(1000);
    return report(drill, world, steps, green, session.result());
  } finally {
    await session.stop();
  }
}

async function greenBefore(world: DrillWorld): Promise<void> {
  const r = await verifyRoutes(world.ctx, { waitS: 30 });
  if (r.ok) return;
  const bad = r.switches.filter((s) => !s.ok).map((s) => s.name);
  const http = (r.dataplane ?? []).filter((d) => !d.ok).map((d) => d.name);
  const why = [bad.length ? `routes on ${bad.join(', ')}` : '', http.length ? `HTTP to ${http.join(', ')}` : ''].filter(Boolean).join('; ');
  throw new OperationError(`the fabric is not green before the drill (${why}): nothing was done; run verify-routes to see why`);
}

function report(drill: Drill, world: DrillWorld, steps: StepOutcome[], green: GreenResult, measure: MeasureResult): DrillReport {
  const expectations = drill.expectations.map((e) => judged(e, measure, green));
  const failed = failedLines(drill.file, steps, expectations);
  return { drill: drill.name, file: drill.file, topology: world.ctx.plan.name, ok: failed.length === 0, steps, expectations, failed, green, measure };
}

function judged(e: Expectation, measure: MeasureResult, green: GreenResult): ExpectationOutcome {
  const v = judgeExpectation(e, measure, green);
  return { line: e.line, expect: e.text, ok: v.ok, measured: v.measured, ...(e.message === undefined ? {} : { message: e.message }) };
}

async function runStep(step: Step, world: DrillWorld, session: MeasureSession): Promise<StepOutcome> {
  const started = Date.now();
  const base = { line: step.line, step: step.text, ...(step.message === undefined ? {} : { message: step.message }) };
  if (isCheck(step)) {
    const o = await retry(step, world);
    const ok = judgeCheck(step, o);
    return { ...base, kind: 'check', ok, ms: Date.now() - started, took_ms: o.took_ms, within_s: step.within, ...(ok ? {} : { detail: checkFailure(step, o) }) };
  }
  try {
    const detail = await act(step, world, session);
    return { ...base, kind: 'action', ok: true, ms: Date.now() - started, ...(detail ? { detail } : {}) };
  } catch (e) {
    return { ...base, kind: 'action', ok: false, ms: Date.now() - started, detail: messageOf(e).split('\n').slice(0, 3).join(' | ') };
  }
}

/** A check, tried again a quarter second after each attempt until it holds or `within` has passed since the step began. */
async function retry(step: CheckStep, world: DrillWorld): Promise<CheckOutcome> {
  const started = Date.now();
  let detail: string | undefined;
  for (;;) {
    const at = Date.now() - started;
    detail = await attempt(step, world).catch((e: unknown) => messageOf(e).split('\n')[0]);
    if (detail === undefined) return { held: true, took_ms: at };
    if (Date.now() - started >= step.within * 1000) return { held: false, took_ms: null, detail };
    await sleep(250);
  }
}

/** One try of a check: undefined when it holds, else what is wrong. */
async function attempt(step: CheckStep, world: DrillWorld): Promise<string | undefined> {
  const { ctx } = world;
  if (step.kind === 'verify') {
    const r = await verifyRoutes(ctx, { waitS: 0 });
    return r.ok ? undefined : `verify-routes fails on ${r.switches.filter((s) => !s.ok).map((s) => s.name).join(', ') || 'the HTTP checks'}`;
  }
  if (step.kind === 'bfd') return bfdDown(world);
  if (step.kind === 'http') {
    const leaf = world.ctx.plan.switches.find((s) => s.name === step.from)!;
    const r = await runRemote(await ctx.connect(leaf), httpProbeCommand(leaf.loopback, [step.to.ip]), { what: 'fetching a page', timeoutMs: 15_000 });
    const a = parseHttpProbe(r.stdout).get(step.to.ip) ?? { status: 0, server: '' };
    const answered = httpPassed(a.status, a.server);
    return answered === step.reachable ? undefined : `${step.to.container} ${answered ? 'answered' : `did not answer (${a.status || 'no reply'})`} from ${step.from}`;
  }
  // every switch at once: one attempt is one moment, and a busy machine makes a round of them slow
  const wrong = await Promise.all(
    step.on.map(async (name) => {
      const routes = await readRoutes(ctx, ctx.plan.switches.find((s) => s.name === name)!);
      const missing = step.present.filter((p) => !holdsPrefix(routes, p));
      const still = step.absent.filter((p) => holdsPrefix(routes, p));
      return [missing.length ? `${name} lacks ${missing.join(' ')}` : '', still.length ? `${name} still holds ${still.join(' ')}` : ''].filter(Boolean).join('; ');
    }),
  );
  return wrong.some(Boolean) ? wrong.filter(Boolean).join('; ') : undefined;
}

/** What is not up of the BFD sessions the fabric ports should have, per switch; undefined when all are. */
async function bfdDown(world: DrillWorld): Promise<string | undefined> {
  const { ctx } = world;
  const wrong = await Promise.all(
    ctx.plan.switches.map(async (sw) => {
      const show = platformOf(sw).show.bfd;
      if (!show) return `${sw.name} cannot say (its platform has no BFD command)`;
      const r = await runRemote(await ctx.connect(sw), show.command(), { what: 'reading its BFD sessions', timeoutMs: 15_000, okStatus: 'any' });
      const up = (show.parse(r.stdout) ?? []).filter((p) => p.status === 'up').length;
      return up >= sw.fabricPorts.length ? '' : `${sw.name} has ${up} of ${sw.fabricPorts.length} up`;
    }),
  );
  return wrong.some(Boolean) ? `BFD: ${wrong.filter(Boolean).join('; ')}` : undefined;
}

async function act(step: ActionStep, world: DrillWorld, session: MeasureSession): Promise<string | undefined> {
  switch (step.kind) {
    case 'link':
      return world.faults.link(step.endpoint, step.action);
    case 'node':
      return world.faults.node(step.node, step.action);
    case 'impair':
      return world.faults.impair(step.endpoint, step.spec);
    case 'clear':
      return world.faults.clear(step.endpoint);
    case 'wait':
      return void (await session.observe(step.seconds * 1000));
    case 'local':
    case 'cldemo':
      return ran(step.kind === 'local' ? await world.local(step.command) : await world.cldemo(step.args));
    default:
      return onNode(step, world);
  }
}

function ran(r: LocalRun): string {
  if (r.exit_code !== 0) throw new OperationError(`${r.command}: exit ${r.exit_code ?? 'by a signal'}`);
  return `exit 0 in ${(r.ms / 1000).toFixed(1)} s`;
}

/** exec, restart and kill: a command on the node, over its connection. */
async function onNode(step: Extract<ActionStep, { kind: 'exec' | 'restart' | 'kill' }>, world: DrillWorld): Promise<string | undefined> {
  const n = node(world, step.node);
  const command = step.kind === 'exec' ? step.command : platformOf(n).services?.[step.service]?.[step.kind];
  if (command === undefined) throw new OperationError(`${step.node} has no ${step.kind === 'exec' ? 'command' : `${step.service} to ${step.kind}`}`);
  await runRemote(await world.ctx.connect(n), command, { what: step.text, timeoutMs: 300_000 });
  return undefined;
}

function node(world: DrillWorld, name: string): NodePlan {
  return [...world.ctx.plan.switches, ...world.ctx.plan.servers].find((n) => n.name === name)!;
}
