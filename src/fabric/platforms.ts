/**
 * Everything that differs between switch platforms, in one table of shell commands. The
 * core never asks "is this the lab?": a lab node is a Debian + FRR box reached over SSH,
 * exactly like real hardware of platform `frr`.
 */
import { NodeError, OperationError } from '../errors.js';
import { applyActions, CONFIG_KINDS, type ApplyAction, type ConfigKind } from '../render/config-kinds.js';
import { parseIpv4 } from '../topology/ip.js';
import { shellQuote } from '../transport/shell.js';
import type { Platform } from '../topology/types.js';

const FRR_CONF = CONFIG_KINDS.frr.path;
const RDNBRD_CONF = CONFIG_KINDS.rdnbrd.path;

/** Where the project's own agent lives on a platform without rdnbrd; one dir per content hash. */
export const AGENT_ROOT = '/usr/local/lib/cldemo';
export const AGENT_PIDFILE = '/run/rdnbrd.pid';
export const AGENT_LOGFILE = '/var/log/rdnbrd.log';

/** What an agent script reports on its last line: the one vocabulary of ensure, stop and status. */
export type AgentAnswer = 'running' | 'started' | 'restarted' | 'reloaded' | 'stopped' | 'not-running' | 'still-running';

const AGENT_STATES: ReadonlySet<string> = new Set<AgentAnswer>(['running', 'started', 'restarted', 'reloaded', 'stopped', 'not-running', 'still-running']);

/** The agent script's answer, from its output's last line; anything else is the node's error. */
export function parseAgentState(node: string, stdout: string): AgentAnswer {
  const last = stdout.trim().split('\n').pop()?.trim() ?? '';
  if (!AGENT_STATES.has(last)) throw new NodeError(node, `the rdnbrd script answered ${JSON.stringify(last.slice(0, 80))}, not one of ${[...AGENT_STATES].join(', ')}`);
  return last as AgentAnswer;
}

export interface AgentCommands {
  /** true: cldemo uploads its own agent (dist/rdnbrd) before starting it */
  shipped: boolean;
  /** start if not running; restart if another build runs; SIGHUP/restart when the config changed */
  ensure(agentDir: string | undefined, configChanged: boolean): string;
  /** stop it (withdrawing its routes); succeeds when it is not running */
  stop(): string;
  /** prints `running` or `stopped` */
  status(): string;
}

/** The command behind each way a config kind takes effect (render/config-kinds.ts `apply`). */
export interface PlatformCommands extends Record<Exclude<ApplyAction, 'agent'>, string> {
  /** reload FRR's running config from the installed frr.conf, without a restart */
  reloadFrr: string;
  /** needed only when /etc/frr/daemons changed: which daemons run is read at start */
  restartFrr: string;
  /** apply the installed /etc/network/interfaces */
  reloadInterfaces: string;
  agent: AgentCommands;
}

/** The commands that make installed files of `kinds` take effect, in the order they run. */
export function applyCommands(cmds: PlatformCommands, kinds: readonly ConfigKind[]): string[] {
  return applyActions(kinds).map((action) => cmds[action]);
}

/** Debian's ifupdown2 on a server (the uplink only). */
export const SERVER_COMMANDS = { reloadInterfaces: 'ifreload -a' } as const;

/**
 * Run on a leaf before a container is created: asks once, by ARP on `port`, for every address
 * in `ips`, and prints one line per address: `taken IP` (it answered: someone has it), `free IP`
 * (asked, no reply) or `failed IP exit N: WHY` (could not ask: no such port, no source address,
 * ...); `failed * ...` when arping itself is missing. arping exits 1 both for "no reply" and
 * for most errors; with -q only an error writes to stderr, so exit 1 with nothing said is the
 * only "free". `-I PORT` is the interface in both arpings (Habets', Debian's `arping` package,
 * also takes `-i`; in iputils' `-i` is an interval).
 */
export function arpProbe(port: string, ips: string[]): string {
  const lines = ips.map((ip) => {
    const a = ipv4(ip);
    return (
      `(e=$(arping -q -c 1 -w 1 -I ${shellQuote(port)} ${a} 2>&1 >/dev/null); c=$?; ` +
      `if [ $c -eq 0 ]; then echo 'taken ${a}'; elif [ $c -eq 1 ] && [ -z "$e" ]; then echo 'free ${a}'; ` +
      `else printf 'failed ${a} exit %s: %s\n' "$c" "$(printf '%s ' $e)"; fi) &`
    );
  });
  return ["command -v arping >/dev/null 2>&1 || { echo 'failed * arping is not installed (Debian package arping)'; exit 0; }", 'set -f', ...lines, 'wait'].join('\n');
}

/** What the address check learned: who answered, who did not, and what could not be asked. */
export interface ArpProbeResult {
  taken: string[];
  free: string[];
  failed: Array<{ ip: string; why: string }>;
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

/** An address to ping, and the leaf port it sits behind (several server ports share the subnet). */
export interface PingTarget {
  ip: string;
  port?: string;
}

/**
 * Pings each address once (two probes) in parallel; prints `<ip> <received>` per address.
 * With a port, `ping -I PORT`: every server port carries the gateway, so the kernel holds one
 * connected route per port and a plain ping would always leave by the first.
 */
export function pingEach(targets: PingTarget[]): string {
  const lines = targets.map(({ ip, port }) => {
    const dev = port === undefined ? '' : ` -I ${shellQuote(port)}`;
    return `(n=$(ping -n -q -c 2 -i 0.3 -W 1${dev} ${ipv4(ip)} 2>/dev/null | sed -n 's/.* \\([0-9]*\\) received.*/\\1/p'); echo ${ipv4(ip)} \${n:-0}) &`;
  });
  return [...lines, 'wait'].join('\n');
}

/** Only a dotted quad reaches a remote shell unquoted. */
export function ipv4(ip: string): string {
  if (parseIpv4(ip) === null) throw new OperationError(`not an IPv4 address, so it does not reach a remote shell: ${JSON.stringify(ip)}`);
  return ip;
}

export const PLATFORMS: Record<Platform, PlatformCommands> = {
  frr: {
    reloadFrr: `/usr/lib/frr/frr-reload.py --reload ${FRR_CONF}`,
    restartFrr: '/usr/lib/frr/frrinit.sh restart',
    reloadInterfaces: 'ifreload -a',
    agent: { shipped: true, ensure: ensureShippedAgent, stop: stopShippedAgent, status: () => `${PID}; if alive; then echo running; else echo stopped; fi` },
  },
  cumulus: {
    reloadFrr: `/usr/lib/frr/frr-reload.py --reload ${FRR_CONF}`,
    restartFrr: 'systemctl restart frr',
    reloadInterfaces: 'ifreload -a',
    agent: {
      shipped: false,
      ensure: (_dir, changed) =>
        changed
          ? 'systemctl enable rdnbrd >/dev/null 2>&1; systemctl restart rdnbrd && echo restarted'
          : 'if systemctl is-active --quiet rdnbrd; then echo running; else systemctl enable --now rdnbrd && echo started; fi',
      // `stopped` only when it ran: down reports a change only when it made one
      stop: () => 'if systemctl is-active --quiet rdnbrd; then systemctl stop rdnbrd || exit 1; out=stopped; else out=not-running; fi; systemctl disable rdnbrd >/dev/null 2>&1; echo $out',
      status: () => 'if systemctl is-active --quiet rdnbrd; then echo running; else echo stopped; fi',
    },
  },
};

const PID = `pid=$(cat ${AGENT_PIDFILE} 2>/dev/null); alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }`;

/**
 * Waits up to 20 s for the agent to exit: it withdraws its routes first, which on a
 * loaded box with many hosts took longer than 5 s (seen at 256 containers, load 90).
 */
const WAIT_GONE = 'i=0; while alive && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done';

function ensureShippedAgent(agentDir: string | undefined, configChanged: boolean): string {
  if (!agentDir) throw new OperationError('the frr platform needs the agent directory');
  const main = `${agentDir}/main.js`;
  const start = `node ${shellQuote(main)} --config ${RDNBRD_CONF} --pidfile ${AGENT_PIDFILE} --logfile ${AGENT_LOGFILE}`;
  return [
    PID,
    // another build of the agent: SIGUSR1 ends it leaving its routes, so the new one takes over without a gap
    `if alive && ! tr '\\0' ' ' < /proc/$pid/cmdline | grep -qF ${shellQuote(main)}; then kill -USR1 "$pid"; ${WAIT_GONE}; pid=; fi`,
    `if alive; then ${configChanged ? 'kill -HUP "$pid" && echo reloaded' : 'echo running'}; else ${start} </dev/null && echo started; fi`,
  ].join('\n');
}

function stopShippedAgent(): string {
  // only an agent cldemo installed; someone else's rdnbrd is not ours to stop
  return [
    PID,
    `if alive && tr '\\0' ' ' < /proc/$pid/cmdline | grep -qF ${shellQuote(AGENT_ROOT + '/')}; then kill -TERM "$pid"; ${WAIT_GONE}; if alive; then echo still-running; exit 1; fi; echo stopped; else echo not-running; fi`,
  ].join('\n');
}
