/**
 * `cldemo verify-routes`: every switch's tables against the topology's /32s (and /128s), and
 * HTTP to every container across the fabric. With a wait, the whole check runs again once a second
 * until everything holds or the time is up; the report is the last round, whole: what held
 * in an earlier round and broke since shows as broken, so the report is one moment.
 */
import { sleep } from '../../concurrency.js';
import { NodeError, messageOf } from '../../errors.js';
import type { ContainerPlan, SwitchPlan } from '../../topology/types.js';
import { forEachNode, type FabricContext } from '../context.js';
import { checkHttp, type HttpCheck } from './dataplane.js';
import { runRemote } from '../remote.js';
import { checkAbsent, checkPassed, checkSwitch, familiesOf, mergeChecks, type RouteCheck } from './routes.js';
import { platformOf, type SwitchRoutes } from '../../platforms/index.js';

interface SwitchVerdict extends RouteCheck {
  ok: boolean;
  error?: string;
}

export interface VerifyReport {
  ok: boolean;
  absent: boolean;
  switches: SwitchVerdict[];
  dataplane?: HttpCheck[];
  elapsed_ms: number;
}

export interface VerifyOptions {
  absent?: boolean;
  dataplane?: boolean;
  /** seconds to keep retrying; 0 checks once */
  waitS?: number;
}

/** FRR's RIB, and on a leaf the kernel table redistribute-neighbor fills (dual stack: both families). */
export async function readRoutes(ctx: FabricContext, sw: SwitchPlan): Promise<SwitchRoutes> {
  const conn = await ctx.connect(sw);
  const routes = platformOf(sw).show.routes;
  const query = { ...(sw.role === 'leaf' ? { routeTable: ctx.plan.redistributeNeighbor.routeTable } : {}), ipv6: ctx.plan.ipv6 !== undefined };
  const r = await runRemote(conn, routes.command(query), { what: 'reading its routes', timeoutMs: 20_000 });
  try {
    return routes.parse(r.stdout);
  } catch (e) {
    throw new NodeError(conn.node, `cannot read its routes: ${(r.stderr.trim() || messageOf(e)).split('\n')[0]}`);
  }
}

export async function verifyRoutes(ctx: FabricContext, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now();
  const absent = opts.absent ?? false;
  const withHttp = (opts.dataplane ?? true) && !absent;
  const deadline = started + (opts.waitS ?? 0) * 1000;
  for (;;) {
    const round = Date.now();
    const checks = await checkRound(ctx, absent, withHttp ? ctx.plan.containers : []);
    reportRound(ctx, checks);
    if (allHeld(checks) || Date.now() >= deadline) return verifyReport(checks, absent, withHttp, started);
    await sleep(Math.max(0, round + 1000 - Date.now()));
  }
}

/** One round's verdicts: every switch's tables and every container's page, read at once. */
interface Round {
  switches: SwitchVerdict[];
  http: HttpCheck[];
}

async function checkRound(ctx: FabricContext, absent: boolean, containers: ContainerPlan[]): Promise<Round> {
  const { switches } = ctx.plan;
  const [outcomes, http] = await Promise.all([
    forEachNode(switches, ctx.parallel, async (sw) => {
      const routes = await readRoutes(ctx, sw);
      return mergeChecks(familiesOf(ctx.plan).map((f) => (absent ? checkAbsent : checkSwitch)(ctx.plan, sw, routes, f)));
    }),
    containers.length > 0 ? checkHttp(ctx, containers) : Promise.resolve([]),
  ]);
  const verdicts = outcomes.map((o, i): SwitchVerdict => {
    const check = o.value ?? { name: switches[i].name, present: [], missing: [], unexpected: [], wrong_nexthop: [] };
    return { ...check, ok: o.ok && checkPassed(check, absent), ...(o.ok ? {} : { error: o.error }) };
  });
  return { switches: verdicts, http };
}

function allHeld(r: Round): boolean {
  return r.switches.every((s) => s.ok) && r.http.every((h) => h.ok);
}

function reportRound(ctx: FabricContext, r: Round): void {
  const holding = r.switches.filter((v) => v.ok).length;
  ctx.progress({ kind: 'round', holding, switches: r.switches.length, switchesPending: r.switches.length - holding, httpPending: r.http.filter((h) => !h.ok).length });
}

function verifyReport(r: Round, absent: boolean, withHttp: boolean, started: number): VerifyReport {
  return {
    ok: allHeld(r),
    absent,
    switches: r.switches,
    ...(withHttp ? { dataplane: r.http } : {}),
    elapsed_ms: Date.now() - started,
  };
}
