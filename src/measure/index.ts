/**
 * `cldemo measure`: the probe mesh and the switches' route monitors while something happens
 * (`during`, or for a while), then the time back to green, as one report.
 */
import type { FabricContext } from '../fabric/context.js';
import { MeasureSession, type GreenResult, type MeasureResult, type MeasureSettings } from './session.js';

export interface MeasureOptions extends MeasureSettings {
  /** without `during`: how long to watch, ms */
  durationMs?: number;
  /** how long verify-routes may take to pass afterwards, s */
  greenTimeoutS?: number;
  /** probes kept running once green, ms: a flow that recovers a little later is seen doing so */
  tailMs?: number;
  /** ends the watch early (Ctrl-C) */
  signal?: AbortSignal;
}

/** What ran while the mesh watched: a command, or a drill's steps. */
export interface DuringResult {
  command: string;
  /** its exit status (null: killed by a signal) */
  exit_code: number | null;
  ms: number;
}

export interface MeasureReport extends MeasureResult {
  /** the fabric was green again in time, and what ran during it succeeded */
  ok: boolean;
  during: DuringResult | null;
  /** to green, from the end of `during` (or of the watch) */
  green: GreenResult;
}

export const DEFAULT_RATE = 10;
export const DEFAULT_DURATION_MS = 10_000;
export const DEFAULT_GREEN_TIMEOUT_S = 60;

export async function measure(ctx: FabricContext, opts: MeasureOptions, during?: () => Promise<DuringResult>): Promise<MeasureReport> {
  const session = await MeasureSession.start(ctx, opts);
  try {
    session.mark();
    let ran: DuringResult | null = null;
    if (during) ran = await during();
    else await session.observe(opts.durationMs ?? DEFAULT_DURATION_MS, opts.signal);
    const green = await session.waitGreen(opts.greenTimeoutS ?? DEFAULT_GREEN_TIMEOUT_S);
    await session.observe(opts.tailMs ?? 1000);
    return { ...session.result(), ok: green.ok && (ran === null || ran.exit_code === 0), during: ran, green };
  } finally {
    await session.stop();
  }
}

export { MeasureSession } from './session.js';
export type { FlowReport, GreenResult, MeasureResult } from './session.js';
