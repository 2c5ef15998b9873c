/**
 * An impairment in the kernel's terms, pure: which port of a link carries what, the shell
 * that puts it there or takes it away, and the reading of what a node holds now.
 *
 * - Loss: an iptables (nf_tables) rule `-m statistic --mode random --probability P -j DROP`
 *   in the mangle table's POSTROUTING, `-o PORT`, IPv4 and IPv6: every packet leaving by that
 *   port goes through it, forwarded or sent by the node itself. Each end drops what it sends,
 *   so each direction loses P once. A server's uplink is the exception: a container's
 *   packets cross the server's port by macvlan and never meet the server's netfilter, so
 *   the leaf's end carries both directions (POSTROUTING -o and PREROUTING -i).
 * - Rate: tbf at the root of both ends (egress shapes, so each end shapes what it sends).
 * - delay, jitter, duplicate, corrupt: netem at the root of both ends, with the rate's tbf
 *   under it when both are asked for.
 * Ours are told from anyone else's by the rule comment and by the qdisc handle.
 */
import { shellQuote } from '../transport/shell.js';
import type { Impairment } from '../topology/impair.js';
import { needsNetem } from '../topology/impair.js';
import type { Endpoint, Link } from '../topology/types.js';

const RULE_COMMENT = 'cldemo-impair';
/** the root qdisc of an impaired port (tbf, or netem) */
const ROOT_HANDLE = 'c1de:';
/** the rate's tbf under a netem root */
const CHILD_HANDLE = 'c1df:';

/** What one port of a link carries. */
export interface PortImpairment {
  node: string;
  port: string;
  /** percent dropped of what leaves by the port */
  egressLoss?: number;
  /** percent dropped of what arrives by it (a server uplink's leaf end) */
  ingressLoss?: number;
  rate?: number;
  delay?: number;
  jitter?: number;
  duplicate?: number;
  corrupt?: number;
}

/** Where an impairment of `link` goes: one entry per end. */
export function layout(link: Link, i: Impairment): PortImpairment[] {
  const shaping = { rate: i.rate, delay: i.delay, jitter: i.jitter, duplicate: i.duplicate, corrupt: i.corrupt };
  const end = (e: Endpoint, loss: Pick<PortImpairment, 'egressLoss' | 'ingressLoss'>): PortImpairment => clean({ node: e.node, port: e.port, ...loss, ...shaping });
  if (link.kind === 'server') return [end(link.a, {}), end(link.b, { egressLoss: i.loss, ingressLoss: i.loss })];
  return [end(link.a, { egressLoss: i.loss }), end(link.b, { egressLoss: i.loss })];
}

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The link's impairment as its ends carry it (the inverse of layout, for a link laid out whole). */
export function combine(link: Link, ports: PortImpairment[]): Impairment {
  const at = (e: Endpoint) => ports.find((p) => p.node === e.node && p.port === e.port);
  const [a, b] = [at(link.a), at(link.b)];
  const lossEnd = link.kind === 'server' ? b : a?.egressLoss !== undefined ? a : b;
  const loss = lossEnd?.egressLoss ?? lossEnd?.ingressLoss;
  const shaped = a && (a.rate ?? a.delay ?? a.duplicate ?? a.corrupt) !== undefined ? a : b;
  return clean({ loss, rate: shaped?.rate, delay: shaped?.delay, jitter: shaped?.jitter, duplicate: shaped?.duplicate, corrupt: shaped?.corrupt });
}

/** An iptables rule of ours as iptables-save prints it (what `-D` needs to remove it). */
interface LossRule {
  family: 4 | 6;
  line: string;
  chain: 'POSTROUTING' | 'PREROUTING';
  port: string;
  percent: number;
}

/** What a node holds now, per port. */
export interface NodeImpairments {
  ports: PortImpairment[];
  rules: LossRule[];
  /** ports whose root qdisc is ours */
  qdiscs: string[];
}

const MARK = '@@cldemo-impair@@';

/** Reads a node's impairments: both families' mangle tables and the qdiscs, in one go. */
export function readCommand(): string {
  return [`iptables-save -t mangle 2>/dev/null`, `ip6tables-save -t mangle 2>/dev/null`, 'tc -j qdisc show', 'tc qdisc show'].join(`; echo ${MARK}; `);
}

/** The shell that takes ours off `ports` (given what `now` says is there) and puts `want` on. */
export function applyScript(now: NodeImpairments, ports: string[], want: PortImpairment[], mtu: number): { script: string; v4: string; v6: string } {
  const lines = ['set -e'];
  for (const port of ports) if (now.qdiscs.includes(port)) lines.push(`tc qdisc del dev ${shellQuote(port)} root`);
  for (const p of want) lines.push(...qdiscCommands(p, mtu));
  const restore = (family: 4 | 6) => {
    const del = now.rules.filter((r) => r.family === family && ports.includes(r.port)).map((r) => r.line.replace(/^-A /, '-D '));
    const add = want.flatMap(lossRules);
    return del.length + add.length ? ['*mangle', ...del, ...add, 'COMMIT', ''].join('\n') : '';
  };
  const [v4, v6] = [restore(4), restore(6)];
  if (v4) lines.push(`iptables-restore --noflush <<'${MARK}'\n${v4}${MARK}`);
  if (v6) lines.push(`ip6tables-restore --noflush <<'${MARK}'\n${v6}${MARK}`);
  return { script: lines.join('\n'), v4, v6 };
}

function lossRules(p: PortImpairment): string[] {
  const rule = (chain: string, dir: string, pct: number) =>
    `-A ${chain} ${dir} ${p.port} -m statistic --mode random --probability ${probability(pct)} -m comment --comment ${RULE_COMMENT} -j DROP`;
  return [...(p.egressLoss ? [rule('POSTROUTING', '-o', p.egressLoss)] : []), ...(p.ingressLoss ? [rule('PREROUTING', '-i', p.ingressLoss)] : [])];
}

/** percent -> iptables' probability (0..1, at most 11 digits: it keeps 32 bits). */
function probability(pct: number): string {
  return String(+(pct / 100).toFixed(11));
}

function qdiscCommands(p: PortImpairment, mtu: number): string[] {
  const dev = shellQuote(p.port);
  const tbf = (where: string) => (p.rate ? [`tc qdisc add dev ${dev} ${where} tbf rate ${Math.round(p.rate)}bit burst ${burst(p.rate, mtu)} latency 50ms`] : []);
  if (needsNetem(p).length === 0) return tbf(`root handle ${ROOT_HANDLE}`);
  const netem = [
    `delay ${ms(p.delay ?? 0)}${p.jitter ? ` ${ms(p.jitter)}` : ''}`,
    ...(p.duplicate ? [`duplicate ${p.duplicate}%`] : []),
    ...(p.corrupt ? [`corrupt ${p.corrupt}%`] : []),
  ];
  return [`tc qdisc add dev ${dev} root handle ${ROOT_HANDLE} netem limit 10000 ${netem.join(' ')}`, ...tbf(`parent ${ROOT_HANDLE}1 handle ${CHILD_HANDLE}`)];
}

function ms(v: number): string {
  return `${Math.round(v * 1000)}us`;
}

/**
 * tbf's bucket: 10 ms at the rate, and never less than one full frame (a frame bigger than
 * the bucket would never pass). Larger (GSO) packets are cut to fit by tbf itself.
 */
export function burst(rate: number, mtu: number): number {
  return Math.max(mtu + 64, Math.ceil(rate / 8 / 100));
}

/** A node's answer to readCommand, as ports with what they carry, and our rules and qdiscs. */
export function parseRead(node: string, stdout: string): NodeImpairments {
  const [v4 = '', v6 = '', tcJson = '', tcText = ''] = stdout.split(MARK);
  const rules = [...parseRules(4, v4), ...parseRules(6, v6)];
  const qdiscs = parseQdiscs(tcJson, tcText);
  const byPort = new Map<string, PortImpairment>();
  const port = (name: string) => byPort.get(name) ?? byPort.set(name, { node, port: name }).get(name)!;
  // IPv4 tells the loss (IPv6 carries the same rules)
  for (const r of rules.filter((x) => x.family === 4)) port(r.port)[r.chain === 'POSTROUTING' ? 'egressLoss' : 'ingressLoss'] = r.percent;
  for (const q of qdiscs) Object.assign(port(q.port), q.shape);
  return { ports: [...byPort.values()], rules, qdiscs: qdiscs.map((q) => q.port) };
}

function parseRules(family: 4 | 6, text: string): LossRule[] {
  return text.split('\n').flatMap((line): LossRule[] => {
    if (!line.startsWith('-A ') || !line.includes(`--comment ${RULE_COMMENT}`)) return [];
    const m = /^-A (POSTROUTING|PREROUTING) -[oi] (\S+) .*--probability ([\d.]+)/.exec(line);
    if (!m) return [];
    return [{ family, line, chain: m[1] as LossRule['chain'], port: m[2], percent: +(Number(m[3]) * 100).toFixed(4) }];
  });
}

interface TcQdisc {
  kind?: string;
  handle?: string;
  parent?: string;
  root?: boolean;
  dev?: string;
  options?: { rate?: number };
}

/** Our root qdiscs: tbf's rate from the JSON (exact, bytes/s), netem's settings from the text. */
function parseQdiscs(json: string, text: string): Array<{ port: string; shape: Partial<PortImpairment> }> {
  const all = JSON.parse(json.trim() || '[]') as TcQdisc[];
  const ours = all.filter((q) => q.root && q.handle === ROOT_HANDLE && q.dev);
  return ours.map((q) => {
    const child = all.find((c) => c.dev === q.dev && c.parent === `${ROOT_HANDLE}1` && c.kind === 'tbf');
    const tbf = q.kind === 'tbf' ? q : child;
    const shape: Partial<PortImpairment> = tbf?.options?.rate ? { rate: tbf.options.rate * 8 } : {};
    if (q.kind === 'netem') Object.assign(shape, parseNetem(netemLine(text, q.dev!)));
    return { port: q.dev!, shape };
  });
}

/** `qdisc netem c1de: dev swp1 root refcnt 2 limit ...`: the line of our netem on `dev`. */
function netemLine(text: string, dev: string): string {
  return text.split('\n').find((l) => l.startsWith(`qdisc netem ${ROOT_HANDLE} dev ${dev} `)) ?? '';
}

const TIME = '([\\d.]+)(us|ms|s)';

/** `... limit 10000 delay 50ms  10ms duplicate 1% corrupt 0.1%` (iproute2's netem line). */
export function parseNetem(line: string): Partial<PortImpairment> {
  const toMs = (n: string, unit: string) => Number(n) * ({ us: 0.001, ms: 1, s: 1000 }[unit] as number);
  const out: Partial<PortImpairment> = {};
  const d = new RegExp(`\\bdelay ${TIME}(?:\\s+${TIME})?`).exec(line);
  if (d && toMs(d[1], d[2]) > 0) out.delay = toMs(d[1], d[2]);
  if (d?.[3] && toMs(d[3], d[4]) > 0) out.jitter = toMs(d[3], d[4]);
  const pct = (key: string) => new RegExp(`\\b${key} ([\\d.]+)%`).exec(line)?.[1];
  if (pct('duplicate')) out.duplicate = Number(pct('duplicate'));
  if (pct('corrupt')) out.corrupt = Number(pct('corrupt'));
  return out;
}
