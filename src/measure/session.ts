/**
 * A measurement of the fabric while something happens to it: the probe mesh and every
 * switch's route monitor run from `start` to `stop`; what counts is what comes after `mark`
 * (the probes sent after it, the route changes seen after it); `waitGreen` times the fabric
 * back to verify-routes passing. The drill runner and `cldemo measure` share it; the bench
 * runs drills, so the bench, the drills and the command measure one way.
 */
import { sleep } from '../concurrency.js';
import { OperationError } from '../errors.js';
import type { FabricContext } from '../fabric/context.js';
import { verifyRoutes } from '../fabric/observe/verify-routes.js';
import { ChurnTally, type Churn } from './loss.js';
import { DEFAULT_MESH, planMesh, type Flow, type MeshOptions } from './mesh.js';
import { followFlow, followRoutes, FlowProbes, type Follower } from './streams.js';

export interface MeasureSettings {
  /** probes per second, per flow */
  rate: number;
  /** an HTTP probe not answered within this long is lost (default: two intervals, at least 250 ms) */
  httpTimeoutMs?: number;
  mesh?: MeshOptions;
  /** how long every flow may take to answer before the measurement begins */
  settleTimeoutMs?: number;
}

/** Probes answered in a row that make a flow steady enough to begin. */
const SETTLED_PROBES = 3;

export interface FlowReport {
  id: string;
  kind: Flow['kind'];
  from: Flow['from'];
  to: Flow['to'];
  sent: number;
  lost: number;
  /** the longest loss window, ms; 0: not one probe lost */
  loss_window_ms: number;
  /** false: the flow was still losing probes when the measurement stopped */
  recovered: boolean;
  /** each run of lost probes: when it began (ms after the mark, the source's clock), how long, how many */
  windows: Array<{ at_ms: number | null; ms: number; lost: number; recovered: boolean }>;
  /** times its probe stream ended and was started again (its node rebooted, the connection dropped) */
  restarts: number;
}

interface SwitchChurn extends Churn {
  name: string;
  /** its route monitor ended at least once (a hung or rebooted switch): changes in the gap are not counted */
  watch_lost?: string;
}

export interface GreenResult {
  ok: boolean;
  /** from the call to verify-routes passing; null when it never did */
  ms: number | null;
  /** what still failed when the time ran out */
  failed?: string;
}

export interface MeasureResult {
  settings: { rate: number; interval_ms: number; http_timeout_ms: number; peers: number; kinds: Flow['kind'][]; sources: MeshOptions['sources'] };
  flows: FlowReport[];
  overall: { flows: number; flows_with_loss: number; sent: number; lost: number; loss_window_ms: number; worst_flow: string | null; not_recovered: number };
  churn: { switches: SwitchChurn[] } & Churn;
  /** from the mark to the end, ms */
  observed_ms: number;
}

export class MeasureSession {
  private readonly probes: FlowProbes[];
  private readonly tallies = new Map<string, ChurnTally>();
  private readonly lost = new Map<string, string>();
  private followers: Follower[] = [];
  private marks = new Map<FlowProbes, ReturnType<FlowProbes['mark']>>();
  private markedAt = 0;
  private readonly intervalMs: number;
  private readonly httpTimeoutMs: number;
  private readonly mesh: MeshOptions;

  private constructor(
    private readonly ctx: FabricContext,
    private readonly settings: MeasureSettings,
  ) {
    this.intervalMs = 1000 / settings.rate;
    this.httpTimeoutMs = settings.httpTimeoutMs ?? Math.max(250, 2 * this.intervalMs);
    this.mesh = settings.mesh ?? DEFAULT_MESH;
    this.probes = planMesh(ctx.plan, this.mesh).map((f) => new FlowProbes(f, this.intervalMs));
  }

  /** Starts every stream and waits until every flow answers; throws (having stopped them) when one never does. */
  static async start(ctx: FabricContext, settings: MeasureSettings): Promise<MeasureSession> {
    const s = new MeasureSession(ctx, settings);
    if (s.probes.length === 0) throw new OperationError('nothing to measure: no rack has a container another rack can probe (and a leaf or server to probe from)');
    s.followers = [
      ...s.probes.map((p) => followFlow(ctx, p, s.httpTimeoutMs)),
      ...ctx.plan.switches.map((sw) => {
        const tally = new ChurnTally();
        s.tallies.set(sw.name, tally);
        return followRoutes(ctx, sw.name, tally, (why) => s.lost.set(sw.name, why));
      }),
    ];
    try {
      await s.settle(settings.settleTimeoutMs ?? 30_000);
    } catch (e) {
      await s.stop();
      throw e;
    }
    return s;
  }

  private async settle(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.probes.some((p) => !p.answering(SETTLED_PROBES))) {
      if (Date.now() > end) {
        const silent = this.probes.filter((p) => !p.answering(SETTLED_PROBES));
        const why = silent.slice(0, 4).map((p) => `${p.flow.id}${p.lastError ? ` (${p.lastError})` : ''}`).join('; ');
        const lost = `${silent.length} of ${this.probes.length} flows lost probes for ${timeoutMs / 1000} s`;
        throw new OperationError(`the fabric was not answering before the measurement: ${lost}: ${why}${silent.length > 4 ? '; ...' : ''} (is verify-routes green?)`);
      }
      await sleep(100);
    }
  }

  /** From now on, probes and route changes count. */
  mark(): void {
    this.markedAt = Date.now();
    this.marks = new Map(this.probes.map((p) => [p, p.mark()]));
    for (const t of this.tallies.values()) t.start();
  }

  /** verify-routes, again every second, until it passes or `timeoutS` runs out, timed from now. */
  async waitGreen(timeoutS: number): Promise<GreenResult> {
    const started = Date.now();
    const r = await verifyRoutes(this.ctx, { waitS: timeoutS });
    if (r.ok) return { ok: true, ms: Date.now() - started };
    const switches = r.switches.filter((s) => !s.ok).map((s) => s.name);
    const http = (r.dataplane ?? []).filter((d) => !d.ok).map((d) => d.name);
    return { ok: false, ms: null, failed: [switches.length ? `routes on ${switches.join(', ')}` : '', http.length ? `HTTP to ${http.join(', ')}` : ''].filter(Boolean).join('; ') };
  }

  /** Waits `ms`, or less when `signal` aborts. */
  async observe(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  /** What was seen from the mark to now. */
  result(): MeasureResult {
    for (const t of this.tallies.values()) t.stop();
    const flows = this.probes.map((p) => this.flowReport(p));
    return {
      settings: {
        rate: this.settings.rate,
        interval_ms: round(this.intervalMs),
        http_timeout_ms: round(this.httpTimeoutMs),
        peers: this.mesh.peers,
        kinds: this.mesh.kinds,
        sources: this.mesh.sources,
      },
      flows,
      overall: overall(flows),
      churn: this.churn(),
      observed_ms: this.markedAt ? Date.now() - this.markedAt : 0,
    };
  }

  private flowReport(p: FlowProbes): FlowReport {
    const mark = this.marks.get(p) ?? p.mark();
    const loss = p.loss(mark);
    const zero = p.sentAfter(mark);
    const windows = loss.windows.map((w) => ({ at_ms: zero === undefined ? null : round(w.from - zero), ms: round(w.to - w.from), lost: w.lost, recovered: w.recovered }));
    return {
      id: p.flow.id,
      kind: p.flow.kind,
      from: p.flow.from,
      to: p.flow.to,
      sent: loss.sent,
      lost: loss.lost,
      loss_window_ms: round(loss.windowMs),
      recovered: windows.every((w) => w.recovered),
      windows,
      restarts: loss.restarts,
    };
  }

  private churn(): MeasureResult['churn'] {
    const switches = [...this.tallies].map(([name, t]) => ({ name, ...t.churn, ...(this.lost.has(name) ? { watch_lost: this.lost.get(name) } : {}) }));
    const sum = (k: keyof Churn) => switches.reduce((a, s) => a + s[k], 0);
    return { switches, added: sum('added'), withdrawn: sum('withdrawn'), changed: sum('changed') };
  }

  async stop(): Promise<void> {
    await Promise.all(this.followers.map((f) => f.stop()));
  }
}

function overall(flows: FlowReport[]): MeasureResult['overall'] {
  const worst = flows.reduce<FlowReport | undefined>((w, f) => (f.loss_window_ms > (w?.loss_window_ms ?? 0) ? f : w), undefined);
  return {
    flows: flows.length,
    flows_with_loss: flows.filter((f) => f.lost > 0).length,
    sent: flows.reduce((a, f) => a + f.sent, 0),
    lost: flows.reduce((a, f) => a + f.lost, 0),
    loss_window_ms: worst?.loss_window_ms ?? 0,
    worst_flow: worst?.id ?? null,
    not_recovered: flows.filter((f) => !f.recovered).length,
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
