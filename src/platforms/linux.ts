/**
 * Commands any Linux switch runs to ask about the hosts behind its ports (arping from
 * iputils or Habets, ndisc6 for IPv6, ping from iputils), and the one rule for an address
 * that reaches them.
 */
import { OperationError } from '../errors.js';
import { canonicalIpv6, parseIpv4, parseIpv6 } from '../topology/ip.js';
import { shellQuote } from '../transport/shell.js';
import type { ArpProbeResult, MeasureProbes, PingTarget, PortCommands, PortState, ProbeLine, Probes } from './types.js';

/**
 * Run on a leaf before a container is created: asks once, by ARP on `port`, for every address
 * in `ips`, and prints one line per address: `taken IP` (it answered: someone has it), `free IP`
 * (asked, no reply) or `failed IP exit N: WHY` (could not ask: no such port, no source address,
 * ...); `failed * ...` when arping itself is missing. arping exits 1 both for "no reply" and
 * for most errors; with -q only an error writes to stderr, so exit 1 with nothing said is the
 * only "free". `-I PORT` is the interface in both arpings (Habets', Debian's `arping` package,
 * also takes `-i`; in iputils' `-i` is an interval).
 * An IPv6 address is asked by one neighbor solicitation (ndisc6, Debian's `ndisc6`): exit 0
 * answered, 2 no answer, 1 an error it names on stderr.
 */
export function arpProbe(port: string, ips: string[]): string {
  const lines = ips.map((ip) => (ip.includes(':') ? ndProbeLine(port, ipv6(ip)) : arpProbeLine(port, ipv4(ip))));
  return ["command -v arping >/dev/null 2>&1 || { echo 'failed * arping is not installed (Debian package arping)'; exit 0; }", 'set -f', ...lines, 'wait'].join('\n');
}

function arpProbeLine(port: string, a: string): string {
  return (
    `(e=$(arping -q -c 1 -w 1 -I ${shellQuote(port)} ${a} 2>&1 >/dev/null); c=$?; ` +
    `if [ $c -eq 0 ]; then echo 'taken ${a}'; elif [ $c -eq 1 ] && [ -z "$e" ]; then echo 'free ${a}'; ` +
    `else printf 'failed ${a} exit %s: %s\n' "$c" "$(printf '%s ' $e)"; fi) &`
  );
}

function ndProbeLine(port: string, a: string): string {
  return (
    `(if ! command -v ndisc6 >/dev/null 2>&1; then echo 'failed ${a} ndisc6 is not installed (Debian package ndisc6)'; exit 0; fi; ` +
    `e=$(ndisc6 -q -1 -r 1 -w 1000 ${a} ${shellQuote(port)} 2>&1 >/dev/null); c=$?; ` +
    `if [ $c -eq 0 ]; then echo 'taken ${a}'; elif [ $c -eq 2 ]; then echo 'free ${a}'; ` +
    `else printf 'failed ${a} exit %s: %s\n' "$c" "$(printf '%s ' $e)"; fi) &`
  );
}

/** arpProbe's output; an address it printed nothing for could not be asked either. */
export function parseArpProbe(out: string, ips: string[]): ArpProbeResult {
  const said = new Map<string, { verdict: string; why: string }>();
  let all: string | undefined;
  for (const line of out.split('\n')) {
    const m = /^(taken|free|failed) (\S+)(?: (.*))?$/.exec(line.trim());
    if (!m) continue;
    if (m[2] === '*') all = (m[3] ?? '').trim();
    else said.set(m[2], { verdict: m[1], why: (m[3] ?? '').trim() });
  }
  const result: ArpProbeResult = { taken: [], free: [], failed: [] };
  for (const ip of ips) {
    const s = said.get(ip);
    if (all !== undefined) result.failed.push({ ip, why: all });
    else if (!s) result.failed.push({ ip, why: 'the check printed nothing for it' });
    else if (s.verdict === 'taken') result.taken.push(ip);
    else if (s.verdict === 'free') result.free.push(ip);
    else result.failed.push({ ip, why: s.why });
  }
  return result;
}

/**
 * Pings each address once (two probes) in parallel; prints `<ip> <received>` per address.
 * With a port, `ping -I PORT`: every server port carries the gateway, so the kernel holds one
 * connected route per port and a plain ping would always leave by the first. An IPv6 address
 * is pinged with `ping -6` (iputils), through its port the same way.
 */
export function pingEach(targets: PingTarget[]): string {
  const lines = targets.map(({ ip, port }) => {
    const dev = port === undefined ? '' : ` -I ${shellQuote(port)}`;
    const [family, a] = ip.includes(':') ? [' -6', ipv6(ip)] : ['', ipv4(ip)];
    return `(n=$(ping${family} -n -q -c 2 -i 0.3 -W 1${dev} ${a} 2>/dev/null | sed -n 's/.* \\([0-9]*\\) received.*/\\1/p'); echo ${a} \${n:-0}) &`;
  });
  return [...lines, 'wait'].join('\n');
}

/** Only a dotted quad reaches a remote shell unquoted. */
export function ipv4(ip: string): string {
  if (parseIpv4(ip) === null) throw new OperationError(`not an IPv4 address, so it does not reach a remote shell: ${JSON.stringify(ip)}`);
  return ip;
}

/** pingEach's output: the addresses that answered at least once. */
export function parsePings(stdout: string): Set<string> {
  const answered = new Set<string>();
  for (const line of stdout.split('\n')) {
    const [ip, received] = line.trim().split(/\s+/);
    if (ip && Number(received) > 0) answered.add(ip);
  }
  return answered;
}

/** Only an IPv6 address in RFC 5952's form (hex digits and colons, a dotted quad at most) reaches a remote shell unquoted. */
export function ipv6(ip: string): string {
  if (parseIpv6(ip) === null || canonicalIpv6(ip) !== ip) {
    throw new OperationError(`not an IPv6 address in RFC 5952 form, so it does not reach a remote shell: ${JSON.stringify(ip)}`);
  }
  return ip;
}

export const LINUX_PROBES: Probes = { arp: { command: arpProbe, parse: parseArpProbe }, ping: { command: pingEach, parse: parsePings } };

/** `ip link set dev PORT down|up`: one end of a cable; a veth's or a NIC's peer then loses carrier. */
function setPort(port: string, up: boolean): string {
  return `ip link set dev ${shellQuote(port)} ${up ? 'up' : 'down'}`;
}

interface IpLink {
  ifname?: string;
  flags?: string[];
}

/** `ip -j link show`, for the ports asked about (a port the box does not have: exists false). */
function parsePorts(stdout: string, ports: string[]): PortState[] {
  const links = JSON.parse(stdout.trim() || '[]') as IpLink[];
  return ports.map((port) => {
    const flags = links.find((l) => l.ifname === port)?.flags;
    if (!flags) return { port, exists: false, admin: 'down', carrier: null };
    const up = flags.includes('UP');
    return { port, exists: true, admin: up ? 'up' : 'down', carrier: up ? flags.includes('LOWER_UP') : null };
  });
}

export const LINUX_PORTS: PortCommands = {
  set: setPort,
  show: { command: () => 'ip -j link show', parse: parsePorts },
};

/**
 * ICMP echo every `intervalMs` until stopped: iputils' ping with a timestamp on every line
 * (-D) and a line for every probe not answered before the next is sent (-O).
 */
function icmpStream(to: string, intervalMs: number, from?: string): string {
  const source = from === undefined ? '' : ` -I ${ipv4(from)}`;
  return `exec ping -n -D -O -W 1 -i ${seconds(intervalMs)}${source} ${ipv4(to)}`;
}

/**
 * HTTP GET of the target's page every `intervalMs` until stopped: one curl (its connection
 * kept alive, a new one after a failure), requests one after the other at that rate, each
 * given `timeoutMs`. Each answer becomes `cldemo-http N EPOCH STATUS SECONDS` (bash's clock
 * when curl reported it, and curl's time for the request), line by line through stdbuf.
 */
function httpStream(to: string, intervalMs: number, timeoutMs: number, from?: string): string {
  const source = from === undefined ? '' : ` --interface ${ipv4(from)}`;
  const perMinute = Math.max(1, Math.round(60_000 / intervalMs));
  const curl = `stdbuf -oL curl -s -o /dev/null --rate ${perMinute}/m --max-time ${seconds(timeoutMs)}${source} -w '%{http_code} %{time_total}\\n' 'http://${ipv4(to)}/?cldemo-measure=[1-999999999]'`;
  const script = `export LC_ALL=C; n=0; ${curl} 2>/dev/null | while IFS= read -r l; do n=$((n+1)); echo "cldemo-http $n $EPOCHREALTIME $l"; done`;
  return `exec bash -c ${shellQuote(script)}`;
}

const seconds = (ms: number): string => String(Math.round(ms) / 1000);

const ICMP_REPLY = /^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+) .*time=([\d.]+) ms/;
const ICMP_LOST = /^\[(\d+\.\d+)\] (?:no answer yet for icmp_seq=(\d+)|From \S+ icmp_seq=(\d+) )/;
const HTTP_LINE = /^cldemo-http (\d+) (\d+\.\d+) (\d{3}) ([\d.]+)\s*$/;

/** ping -D -O's lines: a reply (sent rtt before it came), no answer before the next probe, or an ICMP error. */
function parseIcmp(line: string, intervalMs: number): ProbeLine | undefined {
  const reply = ICMP_REPLY.exec(line);
  if (reply) return { n: Number(reply[2]), ok: true, at: Number(reply[1]) * 1000 - Number(reply[3]) };
  const lost = ICMP_LOST.exec(line);
  if (!lost) return undefined;
  // "no answer yet" is said when the next probe leaves; an ICMP error comes back at once
  const at = Number(lost[1]) * 1000 - (lost[2] !== undefined ? intervalMs : 0);
  return { n: Number(lost[2] ?? lost[3]), ok: false, at };
}

/** httpStream's lines: a 2xx answer is a probe answered; 000 (no answer in time) or anything else is not. */
function parseHttp(line: string): ProbeLine | undefined {
  const m = HTTP_LINE.exec(line.trim());
  if (!m) return undefined;
  const status = Number(m[3]);
  return { n: Number(m[1]), ok: status >= 200 && status < 300, at: Number(m[2]) * 1000 - Number(m[4]) * 1000 };
}

export const LINUX_MEASURE: MeasureProbes = {
  icmp: icmpStream,
  http: httpStream,
  parse: (kind, line, intervalMs) => (kind === 'icmp' ? parseIcmp(line.trim(), intervalMs) : parseHttp(line)),
};
