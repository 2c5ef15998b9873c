/**
 * `cldemo verify-routes`: every switch's tables against the topology's /32s, and HTTP to
 * every container across the fabric. With a wait, only what has not passed yet is checked
 * again, once a second, until everything holds or the time is up.
 */
import { sleep } from '../concurrency.js';
import { NodeError, messageOf } from '../errors.js';
import { shellQuote } from '../transport/shell.js';
import type { ContainerPlan, SwitchPlan } from '../topology/types.js';
import { forEachNode, type FabricContext } from './context.js';
import { checkHttp, type HttpCheck } from './dataplane.js';
import { runRemote } from './remote.js';
import { checkAbsent, checkPassed, checkSwitch, type TableRoute, type RouteCheck, type SwitchRoutes, type FrrRib } from './routes.js';

export interface SwitchVerdict extends RouteCheck {
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

const MARK = '@@cldemo-table@@';

/** FRR's RIB, and on a leaf the kernel table redistribute-neighbor fills. */
export function routesCommand(routeTable?: number): string {
  const rib = "vtysh -c 'show ip route json'";
  if (routeTable === undefined) return rib;
  // a table that does not exist yet (no neighbor learned) is empty, not an error
  return `${rib}; echo; echo ${MARK}; ip -j route show table ${shellQuote(routeTable)} 2>/dev/null | grep -v '^\\[$' || true`;
}

export function parseRoutes(stdout: string): SwitchRoutes {
  const [ribText, tableText = ''] = stdout.split(MARK);
  const rib = JSON.parse(ribText.trim() || '{}') as FrrRib;
  const table = tableText.trim() ? (JSON.parse(tableText) as TableRoute[]) : [];
  return { rib, table };
}

export async function readRoutes(ctx: FabricContext, sw: SwitchPlan): Promise<SwitchRoutes> {
  const conn = await ctx.connect(sw);
  const r = await runRemote(conn, routesCommand(sw.role === 'leaf' ? ctx.plan.redistributeNeighbor.routeTable : undefined), { what: 'reading its routes', timeoutMs: 20_000 });
  try {
    return parseRoutes(r.stdout);
  } catch (e) {
    throw new NodeError(conn.node, `cannot read its routes: ${(r.stderr.trim() || messageOf(e)).split('\n')[0]}`);
  }
}

export async function verifyRoutes(ctx: FabricContext, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now();
  const absent = opts.absent ?? false;
  const withHttp = (opts.dataplane ?? true) && !absent;
  const deadline = started + (opts.waitS ?? 0) * 1000;
  const state: Checks = { absent, verdicts: new Map(), http: new Map(), switches: ctx.plan.switches, containers: withHttp ? ctx.plan.containers : [] };
  for (;;) {
    const round = Date.now();
    await checkRound(ctx, state);
    reportRound(ctx, state);
    if ((state.switches.length === 0 && state.containers.length === 0) || Date.now() >= deadline) break;
    await sleep(Math.max(0, round + 1000 - Date.now()));
  }
  return verifyReport(ctx, state, withHttp, started);
}

/** Where a verify-routes run stands: the latest verdicts, and what has not passed yet. */
interface Checks {
  absent: boolean;
  verdicts: Map<string, SwitchVerdict>;
  http: Map<string, HttpCheck>;
  /** still to pass */
  switches: SwitchPlan[];
  containers: ContainerPlan[];
}

/** One round: every pending switch's tables and every pending container's HTTP, at once; what passed is no longer pending. */
async function checkRound(ctx: FabricContext, state: Checks): Promise<void> {
  const pending = state.switches;
  const [outcomes, probes] = await Promise.all([
    forEachNode(pending, ctx.parallel, async (sw) => {
      const routes = await readRoutes(ctx, sw);
      return state.absent ? checkAbsent(ctx.plan, sw, routes) : checkSwitch(ctx.plan, sw, routes);
    }),
    state.containers.length > 0 ? checkHttp(ctx, state.containers) : Promise.resolve([]),
  ]);
  outcomes.forEach((o, i) => {
    const sw = pending[i];
    const check = o.value ?? { name: sw.name, present: [], missing: [], unexpected: [], wrong_nexthop: [] };
    state.verdicts.set(sw.name, { ...check, ok: o.ok && checkPassed(check, state.absent), ...(o.ok ? {} : { error: o.error }) });
  });
  for (const p of probes) state.http.set(p.name, p);
  state.switches = pending.filter((s) => !state.verdicts.get(s.name)!.ok);
  state.containers = state.containers.filter((c) => !state.http.get(c.name)!.ok);
}

function reportRound(ctx: FabricContext, state: Checks): void {
  const holding = [...state.verdicts.values()].filter((v) => v.ok).length;
  ctx.progress({ kind: 'round', holding, switches: ctx.plan.switches.length, switchesPending: state.switches.length, httpPending: state.containers.length });
}

function verifyReport(ctx: FabricContext, state: Checks, withHttp: boolean, started: number): VerifyReport {
  const switches = ctx.plan.switches.map((s) => state.verdicts.get(s.name)!);
  const dataplane = withHttp ? ctx.plan.containers.map((c) => state.http.get(c.name)!) : undefined;
  return {
    ok: switches.every((s) => s.ok) && (dataplane ?? []).every((d) => d.ok),
    absent: state.absent,
    switches,
    ...(dataplane ? { dataplane } : {}),
    elapsed_ms: Date.now() - started,
  };
}
