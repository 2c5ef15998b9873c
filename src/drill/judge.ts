/**
 * Judging a drill, pure: a check held in time or not, an expectation met by what the probe
 * mesh and verify-routes measured or not. The runner judges as it goes; `drill --judge`
 * judges a recorded run again against a drill file whose limits were changed.
 */
import type { FlowReport, GreenResult, MeasureResult } from '../measure/index.js';
import type { CheckStep, Expectation, FlowFilter } from './model.js';

/** What a check's attempts found: whether one held, and when that attempt began (ms after the step began). */
export interface CheckOutcome {
  held: boolean;
  took_ms: number | null;
  /** what the last attempt found wrong */
  detail?: string;
}

export function judgeCheck(step: CheckStep, o: CheckOutcome): boolean {
  return o.held && o.took_ms !== null && o.took_ms <= step.within * 1000;
}

/** The words for a check that did not hold in time. */
export function checkFailure(step: CheckStep, o: CheckOutcome): string {
  if (o.held && o.took_ms !== null) return `held only after ${secs(o.took_ms)}, more than ${step.within} s`;
  return `did not hold${step.within ? ` within ${step.within} s` : ''}${o.detail ? `: ${o.detail}` : ''}`;
}

export interface ExpectationVerdict {
  ok: boolean;
  /** what was measured, in words (`0.90 s (leaf01 > server04-172.16.1.41 icmp)`) */
  measured: string;
}

export function judgeExpectation(e: Expectation, measure: Pick<MeasureResult, 'flows'>, green: GreenResult): ExpectationVerdict {
  if (e.kind === 'green') {
    if (!green.ok || green.ms === null) return { ok: false, measured: `not green${green.failed ? ` (${green.failed})` : ''}` };
    return { ok: green.ms <= e.withinMs, measured: secs(green.ms) };
  }
  const flows = measure.flows.filter((f) => matches(f, e.flows));
  if (flows.length === 0) return { ok: false, measured: 'no flow of the mesh matches' };
  const stuck = flows.filter((f) => !f.recovered);
  if (stuck.length) return { ok: false, measured: `${stuck.length} flow${stuck.length > 1 ? 's' : ''} still losing probes at the end (${stuck[0].id})` };
  const worst = flows.reduce((w, f) => (f.loss_window_ms > w.loss_window_ms ? f : w));
  const measured = worst.loss_window_ms === 0 ? `0 s (not one of ${flows.length} flows lost a probe)` : `${secs(worst.loss_window_ms)} (${worst.id})`;
  return { ok: worst.loss_window_ms <= e.maxMs, measured };
}

function matches(f: FlowReport, filter: FlowFilter): boolean {
  if (filter.kind && f.kind !== filter.kind) return false;
  const same = (want: string | undefined, got: string) => want === undefined || want === got;
  const { to = {}, from = {} } = filter;
  return same(to.leaf, f.to.leaf) && same(to.server, f.to.server) && same(to.container, f.to.container) && same(from.leaf, f.from.leaf) && same(from.node, f.from.node);
}

/** One line per step or expectation that failed: `FILE:LINE: MESSAGE: WHAT` (the message, or the step's own words). */
interface Judged {
  ok: boolean;
  line: number;
  message?: string;
}

type JudgedStep = Judged & { step: string; detail?: string };
type JudgedExpectation = Judged & { expect: string; measured: string };

export function failedLines(file: string, steps: readonly JudgedStep[], expectations: readonly JudgedExpectation[]): string[] {
  return [
    ...steps.filter((s) => !s.ok).map((s) => `${file}:${s.line}: ${s.message ?? s.step}: ${s.detail ?? 'failed'}`),
    ...expectations.filter((e) => !e.ok).map((e) => `${file}:${e.line}: ${e.message ?? e.expect}: measured ${e.measured}`),
  ];
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
