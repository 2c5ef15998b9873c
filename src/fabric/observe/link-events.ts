/**
 * Link and BFD events of one switch, pure: its cabled ports' links from its change stream
 * (`ip monitor link` lines, read by the one ip-lines parser), its BFD sessions from its
 * platform's `show bfd peers` once a second. Each emits only real changes, and a resync
 * (the stream started again) reports what changed while nobody was watching.
 */
import type { BfdPeer, ShowCommands } from '../../platforms/index.js';
import type { LinkEvent } from '../../rdnbrd/ip-lines.js';
import type { SwitchPlan } from '../../topology/types.js';
import type { FabricEvent } from './formats.js';

type Sink = (e: FabricEvent) => void;

/** The links of one switch's cabled ports (fabric and server ports): up means admin up with carrier. */
export class LinkWatch {
  private up = new Map<string, boolean>();
  private previous?: Map<string, boolean>;
  private readonly peers: Map<string, string>;
  private readonly node: string;

  constructor(
    sw: SwitchPlan,
    private readonly emit: Sink,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.node = sw.name;
    const fabric = sw.fabricPorts.map((p) => [p.port, `${p.peer}:${p.peerPort}`] as const);
    this.peers = new Map([...fabric, ...sw.serverPorts.map((p) => [p.port, `${p.server}:${p.serverInterface}`] as const)]);
  }

  /** A dump follows: what is known now is kept to compare with it (nothing, before the first dump). */
  resync(seeded: boolean): void {
    if (seeded) this.previous = this.up;
    this.up = new Map();
  }

  /** One link line; while the dump is read (`seeding`) it only records. */
  line(ev: LinkEvent, seeding: boolean): void {
    if (!this.peers.has(ev.dev)) return;
    const was = this.up.get(ev.dev);
    const is = ev.up && !ev.deleted;
    this.up.set(ev.dev, is);
    if (!seeding && was !== undefined && was !== is) this.say(ev.dev, is);
  }

  /** The dump has ended: every port whose link differs from before the resync. */
  dumpEnded(): void {
    const before = this.previous;
    this.previous = undefined;
    if (!before) return;
    for (const [dev, is] of this.up) if (before.has(dev) && before.get(dev) !== is) this.say(dev, is);
  }

  private say(dev: string, up: boolean): void {
    this.emit({ time: this.now().toISOString(), type: 'link', node: this.node, action: up ? 'up' : 'down', dev, peer: this.peers.get(dev)! });
  }
}

/** BFD sessions of one switch, fed its platform's `show bfd peers` answer; emits up and down. */
export class BfdWatch {
  private states?: Map<string, BfdPeer>;

  constructor(
    private readonly node: string,
    private readonly show: NonNullable<ShowCommands['bfd']>,
    private readonly emit: Sink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  peers(text: string): void {
    let peers: BfdPeer[] | undefined;
    try {
      peers = this.show.parse(text);
    } catch {
      return;
    }
    if (!peers) return; // no answer is not "every session gone": bfdd busy or restarting
    const key = (p: BfdPeer) => `${p.peer}%${p.interface ?? ''}`;
    const next = new Map(peers.map((p) => [key(p), p]));
    const prev = this.states;
    this.states = next;
    if (!prev) return;
    for (const [k, p] of next) if ((prev.get(k)?.status === 'up') !== (p.status === 'up')) this.say(p, p.status);
    for (const [k, p] of prev) if (!next.has(k) && p.status === 'up') this.say(p, 'removed');
  }

  private say(p: BfdPeer, state: string): void {
    const action = state === 'up' ? 'up' : 'down';
    this.emit({ time: this.now().toISOString(), type: 'bfd', node: this.node, action, peer: p.peer, ...(p.interface ? { interface: p.interface } : {}), state });
  }
}
