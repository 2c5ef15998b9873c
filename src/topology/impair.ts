/**
 * A link's impairment as people write it (`loss: 1%`, `rate: 10mbit`, `delay: 5ms`) and as
 * the tool holds it (numbers: percent, bit/s, ms). Pure: the topology's rules, the plan, the
 * `lab impair` flags and a drill's steps all read values with these functions, so one value
 * means one thing everywhere.
 */

/** What one link suffers, in each direction. Every field is optional; an empty one is a clean link. */
export interface Impairment {
  /** percent of packets dropped, each way */
  loss?: number;
  /** bit/s each way */
  rate?: number;
  /** ms added each way (netem) */
  delay?: number;
  /** ms of random variation of the delay (netem) */
  jitter?: number;
  /** percent of packets sent twice (netem) */
  duplicate?: number;
  /** percent of packets with a bit flipped (netem) */
  corrupt?: number;
}

export type ImpairKey = keyof Impairment;

export const IMPAIR_KEYS: readonly ImpairKey[] = ['loss', 'rate', 'delay', 'jitter', 'duplicate', 'corrupt'];

/** What only the netem qdisc can do (loss and rate work without it: iptables and tbf). */
const NETEM_KEYS: readonly ImpairKey[] = ['delay', 'jitter', 'duplicate', 'corrupt'];

const PERCENT_KEYS: ReadonlySet<ImpairKey> = new Set(['loss', 'duplicate', 'corrupt']);
const TIME_KEYS: ReadonlySet<ImpairKey> = new Set(['delay', 'jitter']);

const RATE_UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12 };
/** tbf is exact enough from a few kbit/s; above 100 Gbit/s nothing in a lab moves that fast */
const MIN_RATE = 8_000;
const MAX_RATE = 100e9;
/** netem takes up to about 4294 s; an hour is already no link at all */
const MAX_MS = 3_600_000;

const NUMBER = '(\\d+(?:\\.\\d+)?|\\.\\d+)';

/** A value read, or why it cannot be. */
export type Parsed = { value: number } | { problem: string; hint: string };

/** `20`, `20%`, `0.5 %`: a share of packets, more than 0 and at most 100. */
export function parsePercent(v: unknown): Parsed {
  const hint = 'a percentage above 0 and at most 100, e.g. 5 or 0.5%';
  const n = typeof v === 'number' ? v : typeof v === 'string' ? numberOf(new RegExp(`^${NUMBER}\\s*%?$`), v.trim()) : undefined;
  if (n === undefined || !Number.isFinite(n)) return { problem: 'is not a percentage', hint };
  if (n <= 0 || n > 100) return { problem: `is ${n} %, not above 0 and at most 100`, hint };
  return { value: n };
}

/** `10mbit`, `500kbit`, `1.5gbit` (tc's units, in bits: `mbps` would be megabytes in tc, so it is refused). */
export function parseRate(v: unknown): Parsed {
  const hint = 'a number and a unit in bits per second: bit, kbit, mbit, gbit (e.g. 10mbit)';
  if (typeof v !== 'string') return { problem: 'is not a rate', hint };
  const m = new RegExp(`^${NUMBER}\\s*([a-z]+)$`, 'i').exec(v.trim());
  const unit = m ? RATE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) return { problem: /bps$/i.test(v.trim()) ? "is in bytes per second (tc's bps), not bits" : 'is not a rate', hint };
  // tc keeps a rate in bytes per second: whole bytes, so what is read back is what was asked
  const bits = Math.round((Number(m[1]) * unit) / 8) * 8;
  if (bits < MIN_RATE || bits > MAX_RATE) return { problem: `is ${formatRate(bits)}, outside 8kbit-100gbit`, hint };
  return { value: bits };
}

/** `50`, `50ms`, `1.5s`, `800us`: a time in milliseconds (a plain number is ms). */
export function parseMs(v: unknown): Parsed {
  const hint = 'milliseconds, e.g. 50 or 50ms (also s and us)';
  let ms: number | undefined;
  if (typeof v === 'number') ms = v;
  else if (typeof v === 'string') {
    const m = new RegExp(`^${NUMBER}\\s*(ms|s|us)?$`).exec(v.trim());
    if (m) ms = Number(m[1]) * ({ ms: 1, s: 1000, us: 0.001 }[m[2] ?? 'ms'] as number);
  }
  if (ms === undefined || !Number.isFinite(ms)) return { problem: 'is not a time', hint };
  if (ms <= 0 || ms > MAX_MS) return { problem: `is ${ms} ms, not above 0 and at most an hour`, hint };
  return { value: ms };
}

function numberOf(re: RegExp, s: string): number | undefined {
  const m = re.exec(s);
  return m ? Number(m[1]) : undefined;
}

/** One key's value, read by its kind. */
export function parseImpairValue(key: ImpairKey, v: unknown): Parsed {
  if (PERCENT_KEYS.has(key)) return parsePercent(v);
  if (TIME_KEYS.has(key)) return parseMs(v);
  return parseRate(v);
}

/** Problems between keys (each value already read): jitter varies a delay, so it needs one. */
export function impairmentProblems(i: Impairment): Array<{ key: ImpairKey; problem: string; hint: string }> {
  if (i.jitter !== undefined && i.delay === undefined) return [{ key: 'jitter', problem: 'jitter without a delay', hint: 'jitter varies the delay: give delay too' }];
  return [];
}

export function needsNetem(i: Impairment): ImpairKey[] {
  return NETEM_KEYS.filter((k) => i[k] !== undefined);
}

export function isEmptyImpairment(i: Impairment): boolean {
  return IMPAIR_KEYS.every((k) => i[k] === undefined);
}

/** bit/s in tc's words: 10000000 -> 10mbit. */
export function formatRate(bits: number): string {
  for (const [unit, size] of [['gbit', 1e9], ['mbit', 1e6], ['kbit', 1e3]] as const) if (bits >= size) return `${+(bits / size).toFixed(3)}${unit}`;
  return `${bits}bit`;
}

/** `loss 20% rate 10mbit delay 5ms`, in IMPAIR_KEYS order; `none` for a clean link. */
export function describeImpairment(i: Impairment): string {
  const parts = IMPAIR_KEYS.filter((k) => i[k] !== undefined).map((k) => {
    const v = i[k]!;
    if (k === 'rate') return `rate ${formatRate(v)}`;
    return PERCENT_KEYS.has(k) ? `${k} ${+v.toFixed(4)}%` : `${k} ${+v.toFixed(3)}ms`;
  });
  return parts.length ? parts.join(' ') : 'none';
}

/** Two values the kernel may have rounded (iptables keeps a probability in 32 bits, tc a rate in bytes). */
export function closeEnough(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(a), Math.abs(b));
}

export function sameImpairment(a: Impairment, b: Impairment): boolean {
  return IMPAIR_KEYS.every((k) => closeEnough(a[k], b[k]));
}
