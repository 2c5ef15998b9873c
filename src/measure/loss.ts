/**
 * What a run of probes says, pure: the loss windows of one flow's probes, and the route churn
 * seen on a switch. A loss window is the time from the first probe lost to the first probe
 * answered after it (the resolution is the probe interval); the longest one is the flow's.
 */
import type { ProbeLine } from '../platforms/types.js';

interface LossWindow {
  /** when the first lost probe was sent, ms since the epoch (the source node's clock) */
  from: number;
  /** when the first probe answered after it was sent; for a window never recovered, one interval after the last probe */
  to: number;
  lost: number;
  recovered: boolean;
}

export interface FlowLoss {
  sent: number;
  lost: number;
  /** the longest window, ms (0: not one probe lost) */
  windowMs: number;
  windows: LossWindow[];
}

/**
 * The probes of one stream, numbered from `first` to `last`: a number with no line is a
 * probe sent and never answered (ping says nothing of some lost probes), dated between its
 * neighbours.
 */
export function fillGaps(byN: ReadonlyMap<number, ProbeLine>, first: number, last: number, intervalMs: number): ProbeLine[] {
  const out: ProbeLine[] = [];
  let known: ProbeLine | undefined;
  for (let n = first; n <= last; n++) {
    const p = byN.get(n);
    if (p) known = p;
    const at = p?.at ?? (known ? known.at + (n - known.n) * intervalMs : nextKnownAt(byN, n, last, intervalMs));
    out.push(p ?? { n, ok: false, at });
  }
  return out;
}

function nextKnownAt(byN: ReadonlyMap<number, ProbeLine>, n: number, last: number, intervalMs: number): number {
  for (let m = n + 1; m <= last; m++) {
    const p = byN.get(m);
    if (p) return p.at - (m - n) * intervalMs;
  }
  return NaN;
}

/** The loss of one stream's probes, in order. */
export function flowLoss(probes: readonly ProbeLine[], intervalMs: number): FlowLoss {
  const windows: LossWindow[] = [];
  let run: ProbeLine[] = [];
  const close = (next: ProbeLine | undefined) => {
    if (run.length === 0) return;
    const last = run[run.length - 1];
    windows.push({ from: run[0].at, to: next ? next.at : last.at + intervalMs, lost: run.length, recovered: next !== undefined });
    run = [];
  };
  for (const p of probes) {
    if (p.ok) close(p);
    else run.push(p);
  }
  close(undefined);
  const lost = windows.reduce((a, w) => a + w.lost, 0);
  return { sent: probes.length, lost, windowMs: Math.max(0, ...windows.map((w) => Math.max(0, w.to - w.from))), windows };
}

/** Several streams of one flow (a stream that ended was started again): their windows together. */
export function combineLoss(parts: readonly FlowLoss[]): FlowLoss {
  const windows = parts.flatMap((p) => p.windows);
  return {
    sent: parts.reduce((a, p) => a + p.sent, 0),
    lost: parts.reduce((a, p) => a + p.lost, 0),
    windowMs: Math.max(0, ...parts.map((p) => p.windowMs)),
    windows,
  };
}

export interface Churn {
  /** a host route that was not there */
  added: number;
  /** a host route removed */
  withdrawn: number;
  /** a host route replaced by another for the same prefix (its next hops changed) */
  changed: number;
}

/** One switch's host routes, by table and prefix, and what changed in them since the mark. */
export class ChurnTally {
  private readonly present = new Set<string>();
  private counting = false;
  readonly churn: Churn = { added: 0, withdrawn: 0, changed: 0 };

  /** a (new) dump of the tables begins: what it lists is what is there, not a change */
  beginDump(): void {
    this.present.clear();
  }

  /** a route of the dump */
  dumped(table: string, ip: string): void {
    this.present.add(`${table} ${ip}`);
  }

  /** a change the stream reports */
  route(table: string, ip: string, deleted: boolean): void {
    const key = `${table} ${ip}`;
    const had = this.present.has(key);
    if (deleted) this.present.delete(key);
    else this.present.add(key);
    if (!this.counting) return;
    if (deleted && had) this.churn.withdrawn += 1;
    else if (!deleted) this.churn[had ? 'changed' : 'added'] += 1;
  }

  /** from now on, changes count */
  start(): void {
    this.counting = true;
  }

  /** from now on, they do not */
  stop(): void {
    this.counting = false;
  }
}
