/**
 * The long-running parts of a measurement, one SSH stream each: a flow's probes on its
 * source node, and a switch's route monitor. A stream that ends before it is stopped (its
 * node rebooted, hung, its connection lost) is started again every second; a flow's probes
 * then begin a new numbering (an epoch), and the time between is not measured, not lost.
 */
import { sleep } from '../concurrency.js';
import { messageOf, NodeError } from '../errors.js';
import type { FabricContext } from '../fabric/context.js';
import { platformOf, type ProbeLine } from '../platforms/index.js';
import type { NodePlan } from '../topology/types.js';
import type { LineStream } from '../transport/node-connection.js';
import { ChurnTally, combineLoss, fillGaps, flowLoss, type FlowLoss } from './loss.js';
import type { Flow } from './mesh.js';

/** ping's sequence numbers are 16 bits */
const SEQ_SPAN = 65536;

interface Epoch {
  byN: Map<number, ProbeLine>;
  first: number;
  last: number;
}

/** Where a flow stood at a moment: from the probe after it on, probes count. */
interface FlowMark {
  epoch: number;
  n: number;
}

/** One flow's probes as they come in, by stream (epoch) and number. */
export class FlowProbes {
  private readonly epochs: Epoch[] = [];
  private wraps = 0;
  private restarts = 0;
  /** the last error that ended a stream */
  lastError?: string;

  constructor(
    readonly flow: Flow,
    readonly intervalMs: number,
  ) {}

  /** a stream (re)started: what follows is numbered from its own start */
  newEpoch(): void {
    if (this.epochs.length > 0) this.restarts += 1;
    this.epochs.push({ byN: new Map(), first: Infinity, last: -Infinity });
    this.wraps = 0;
  }

  /** one probe's line; a later answer to a probe said lost wins */
  add(p: ProbeLine): void {
    const e = this.epochs[this.epochs.length - 1];
    let n = p.n + this.wraps * SEQ_SPAN;
    if (this.flow.kind === 'icmp' && n < e.last - SEQ_SPAN / 2) {
      this.wraps += 1;
      n += SEQ_SPAN;
    }
    const had = e.byN.get(n);
    if (!had || (!had.ok && p.ok)) e.byN.set(n, { ...p, n });
    e.first = Math.min(e.first, n);
    e.last = Math.max(e.last, n);
  }

  mark(): FlowMark {
    const e = this.epochs.length - 1;
    return { epoch: e, n: e < 0 ? 0 : this.epochs[e].last };
  }

  /** the newest `k` probes of the current stream were all answered */
  answering(k: number): boolean {
    const e = this.epochs[this.epochs.length - 1];
    if (!e || e.last - e.first + 1 < k) return false;
    for (let n = e.last - k + 1; n <= e.last; n++) if (!e.byN.get(n)?.ok) return false;
    return true;
  }

  /** the loss between two marks (the end: now), every stream in between together */
  loss(from: FlowMark, to: FlowMark = this.mark()): FlowLoss & { restarts: number } {
    const parts: FlowLoss[] = [];
    for (let i = Math.max(0, from.epoch); i <= to.epoch && i < this.epochs.length; i++) {
      const e = this.epochs[i];
      const first = i === from.epoch ? Math.max(e.first, from.n + 1) : e.first;
      const last = i === to.epoch ? Math.min(e.last, to.n) : e.last;
      if (first <= last) parts.push(flowLoss(fillGaps(e.byN, first, last, this.intervalMs), this.intervalMs));
    }
    return { ...combineLoss(parts), restarts: this.restarts };
  }

  /** when the probe after `m` was sent (the source's clock), to date windows from the mark */
  sentAfter(m: FlowMark): number | undefined {
    const e = this.epochs[Math.max(0, m.epoch)];
    return e?.byN.get(m.n + 1)?.at ?? e?.byN.get(m.n)?.at;
  }
}

/** Keeps a command streaming on a node until `stopped`, starting it again a second after it ends. */
export class Follower {
  private stream?: LineStream;
  private stopped = false;
  private readonly running: Promise<void>;

  constructor(
    private readonly ctx: FabricContext,
    private readonly node: NodePlan,
    private readonly command: string,
    private readonly hooks: { onStart(): void; onLine(line: string): void; onEnd(why: string): void },
  ) {
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const why = await this.once().catch((e: unknown) => messageOf(e));
      if (this.stopped) break;
      this.hooks.onEnd(why);
      await sleep(1000);
    }
  }

  private async once(): Promise<string> {
    const conn = await this.ctx.connect(this.node);
    if (!conn.stream) throw new NodeError(this.node.name, 'this connection cannot stream a command');
    if (this.stopped) return 'stopped';
    this.hooks.onStart();
    this.stream = conn.stream(this.command, (l) => this.hooks.onLine(l));
    const code = await this.stream.done;
    return `the stream ended (exit ${code})`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stream?.stop();
    await this.running;
  }
}

/** A flow's probes, streamed from its source node. */
export function followFlow(ctx: FabricContext, probes: FlowProbes, httpTimeoutMs: number): Follower {
  const { flow, intervalMs } = probes;
  const node = nodeNamed(ctx, flow.from.node);
  const platform = platformOf(node).measure!;
  const from = flow.from.role === 'leaf' ? flow.from.address : undefined;
  const command = flow.kind === 'icmp' ? platform.icmp(flow.to.ip, intervalMs, from) : platform.http(flow.to.ip, intervalMs, httpTimeoutMs, from);
  return new Follower(ctx, node, command, {
    onStart: () => probes.newEpoch(),
    onLine: (l) => {
      const p = platform.parse(flow.kind, l, intervalMs);
      if (p) probes.add(p);
    },
    onEnd: (why) => (probes.lastError = why),
  });
}

const CHURN_MARK = '@@cldemo-measure@@';

/** A switch's host routes: its table dump, then every change the kernel reports. */
export function followRoutes(ctx: FabricContext, name: string, tally: ChurnTally, ended: (why: string) => void): Follower {
  const sw = nodeNamed(ctx, name);
  if (sw.role === 'server') throw new NodeError(name, 'is a server: route churn is read on switches');
  const changes = platformOf(sw).show.changes;
  let dumping = true;
  return new Follower(ctx, sw, changes.command(CHURN_MARK), {
    onStart: () => {
      dumping = true;
      tally.beginDump();
    },
    onLine: (l) => {
      if (l.trim() === CHURN_MARK) dumping = false;
      const e = changes.parse(l);
      if (e?.kind !== 'route') return;
      if (dumping) tally.dumped(e.table, e.ip);
      else tally.route(e.table, e.ip, e.deleted);
    },
    onEnd: ended,
  });
}

function nodeNamed(ctx: FabricContext, name: string): NodePlan {
  const node = [...ctx.plan.switches, ...ctx.plan.servers].find((n) => n.name === name);
  if (!node) throw new NodeError(name, 'is not in the topology');
  return node;
}
