/**
 * Where `cldemo up`'s wall time went, read from its progress lines (stderr, not a TTY:
 * `NODE: MESSAGE`, one per step) stamped with the time each line arrived. Pure: the bench
 * stamps the lines, this turns them into phases.
 *
 * Servers print: `uplink config` -> `docker` -> `network NAME` -> (`waiting for LEAF to configure
 * PORT`) -> `checking N addresses are free ...` -> `containers 0/N started` ... `containers N/N
 * started` -> a done line.
 * Switches print `comparing config` first and their done line last.
 */

/** One stderr line and when it arrived (ms since the command started). */
export interface StampedLine {
  ms: number;
  line: string;
}

/** Per-phase durations in ms: one sample per server (or per switch), plus the run's overall marks. */
export interface UpPhases {
  /** start of the server's work -> its network step (uplink config, reload, docker checks) */
  serverSetup: number[];
  /** network step -> the address check starts (waiting for the server's leaf included) */
  network: number[];
  /** the arping from the leaf: check starts -> first container operation starts */
  addressCheck: number[];
  /** containers 0/N -> N/N */
  containers: number[];
  /** ms of the last server's last container (every container created) */
  lastContainerMs?: number;
  /** first switch line -> last switch done line */
  switchesSpan?: number;
  /** first switch line, ms since start (switches wait for a free slot behind the servers) */
  switchesStartMs?: number;
  /** last line of any node, ms since start */
  endMs?: number;
}

const NODE_LINE = /^(\S+): (.*)$/;

export function upPhases(lines: StampedLine[]): UpPhases {
  const byNode = new Map<string, StampedLine[]>();
  for (const l of lines) {
    const m = NODE_LINE.exec(l.line.trim());
    if (!m) continue;
    const list = byNode.get(m[1]) ?? [];
    list.push({ ms: l.ms, line: m[2] });
    byNode.set(m[1], list);
  }
  const out: UpPhases = { serverSetup: [], network: [], addressCheck: [], containers: [] };
  const at = (evs: StampedLine[], re: RegExp): number | undefined => evs.find((e) => re.test(e.line))?.ms;
  let switchFirst: number | undefined;
  let switchLast: number | undefined;
  let end: number | undefined;
  for (const evs of byNode.values()) {
    const last = evs[evs.length - 1].ms;
    const network = at(evs, /^network /);
    if (network === undefined && at(evs, /^comparing config/) === undefined) continue; // not a node (the summary line)
    end = Math.max(end ?? last, last);
    if (network === undefined) {
      switchFirst = Math.min(switchFirst ?? evs[0].ms, evs[0].ms);
      switchLast = Math.max(switchLast ?? last, last);
      continue;
    }
    const check = at(evs, /^checking \d+ addresses/);
    const zero = at(evs, /^containers 0\/\d+ started/);
    const full = [...evs].reverse().find((e) => {
      const m = /^containers (\d+)\/(\d+) started/.exec(e.line);
      return m !== null && m[1] === m[2] && m[2] !== '0';
    })?.ms;
    out.serverSetup.push(network - evs[0].ms);
    if (check !== undefined) {
      out.network.push(check - network);
      if (zero !== undefined) out.addressCheck.push(zero - check);
    }
    if (zero !== undefined && full !== undefined) {
      out.containers.push(full - zero);
      out.lastContainerMs = Math.max(out.lastContainerMs ?? full, full);
    }
  }
  if (switchFirst !== undefined && switchLast !== undefined) {
    out.switchesStartMs = switchFirst;
    out.switchesSpan = switchLast - switchFirst;
  }
  if (end !== undefined) out.endMs = end;
  return out;
}
