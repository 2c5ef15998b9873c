/**
 * The two ways a platform runs redistribute-neighbor: cldemo's own agent (dist/rdnbrd,
 * uploaded and started by cldemo, on a platform without rdnbrd) or the system's rdnbrd
 * under systemd (Cumulus Linux). Each is a set of shell scripts whose last line answers.
 */
import { NodeError, OperationError } from '../errors.js';
import { shellQuote } from '../transport/shell.js';
import { ipv4, ipv6 } from './linux.js';
import type { AgentAnswer, AgentStrategy, AgentWord, Show } from './types.js';

/** Where the project's own agent lives on a platform without rdnbrd; one dir per content hash. */
export const AGENT_ROOT = '/usr/local/lib/cldemo';
export const AGENT_PIDFILE = '/run/rdnbrd.pid';
const AGENT_LOGFILE = '/var/log/rdnbrd.log';

const AGENT_STATES: ReadonlySet<string> = new Set<AgentAnswer>(['running', 'started', 'restarted', 'reloaded', 'stopped', 'not-running', 'still-running']);

/** The agent script's answer, from its output's last line; anything else is the node's error. */
export function parseAgentState(node: string, stdout: string): AgentAnswer {
  const last = stdout.trim().split('\n').pop()?.trim() ?? '';
  if (!AGENT_STATES.has(last)) throw new NodeError(node, `the rdnbrd script answered ${JSON.stringify(last.slice(0, 80))}, not one of ${[...AGENT_STATES].join(', ')}`);
  return last as AgentAnswer;
}

/**
 * `alive`: the pid file names a process that runs. A killed agent its parent has not reaped yet
 * (a zombie: on a box whose init reaps late, seconds) answers `kill -0` but runs no more: it is
 * not alive, so a new agent starts at once instead of waiting for the reaper.
 */
const PID =
  `pid=$(cat ${AGENT_PIDFILE} 2>/dev/null); ` +
  `alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && st=$(sed -n 's/.*) \\([A-Za-z]\\) .*/\\1/p' "/proc/$pid/stat" 2>/dev/null) && [ "$st" != Z ] && [ "$st" != X ]; }`;

/**
 * Waits up to 20 s for the agent to exit: it withdraws its routes first, which on a
 * loaded box with many hosts took longer than 5 s (seen at 256 containers, load 90).
 */
const WAIT_GONE = 'i=0; while alive && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done';

/** cldemo's agent, uploaded to AGENT_ROOT and run with `config` (the platform's rdnbrd.conf). */
export function shippedAgent(config: string): AgentStrategy {
  return {
    shipped: true,
    ensure: (agentDir, configChanged) => ensureShippedAgent(config, agentDir, configChanged),
    stop: stopShippedAgent,
    status: () => `${PID}; if alive; then echo running; else echo stopped; fi`,
    reconcile: `kill -HUP "$(cat ${AGENT_PIDFILE})"`,
    lastWords: AGENT_LAST_WORDS,
  };
}

/** A host prefix that reaches a remote shell (grep -F): its address checked by its family's rule. */
function hostPrefix(prefix: string): string {
  const [address, length] = prefix.split('/');
  if (length !== '32' && length !== '128') throw new OperationError(`not a host prefix: ${JSON.stringify(prefix)}`);
  return `${address.includes(':') ? ipv6(address) : ipv4(address)}/${length}`;
}

/**
 * The agent's last log line about a host route (`route add|kept|move|del PREFIX ...`), from its
 * log file: `2026-12-03T21:50:27.061Z rdnbrd[6123] INFO route del 10.1.0.5/32 dev swp1 table 10: ...`.
 */
const AGENT_LAST_WORDS: Show<AgentWord | undefined, [prefix: string]> = {
  what: `the agent's log (${AGENT_LOGFILE})`,
  command: (prefix) => `grep -F -- ' ${hostPrefix(prefix)} ' ${AGENT_LOGFILE} 2>/dev/null | grep -F ' route ' | tail -n 1`,
  parse(stdout) {
    const line = stdout.trim().split('\n').pop()?.trim() ?? '';
    const m = /^(\S+) \S+ [A-Z]+ (route .*)$/.exec(line);
    if (!m) return undefined;
    const at = Date.parse(m[1]);
    return { ...(Number.isFinite(at) ? { at } : {}), words: m[2] };
  },
};

function ensureShippedAgent(config: string, agentDir: string | undefined, configChanged: boolean): string {
  if (!agentDir) throw new OperationError('the frr platform needs the agent directory');
  const main = `${agentDir}/main.js`;
  const start = `node ${shellQuote(main)} --config ${config} --pidfile ${AGENT_PIDFILE} --logfile ${AGENT_LOGFILE}`;
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
    `if alive && tr '\\0' ' ' < /proc/$pid/cmdline | grep -qF ${shellQuote(AGENT_ROOT + '/')}; then kill -TERM "$pid"; ${WAIT_GONE}; ` +
      'if alive; then echo still-running; exit 1; fi; echo stopped; else echo not-running; fi',
  ].join('\n');
}

/** The system's rdnbrd, a systemd unit (Cumulus Linux): enabled, restarted when its config changed. */
export const systemdRdnbrd: AgentStrategy = {
  shipped: false,
  ensure: (_dir, changed) =>
    changed
      ? 'systemctl enable rdnbrd >/dev/null 2>&1; systemctl restart rdnbrd && echo restarted'
      : 'if systemctl is-active --quiet rdnbrd; then echo running; else systemctl enable --now rdnbrd && echo started; fi',
  // `stopped` only when it ran: down reports a change only when it made one
  stop: () =>
    'if systemctl is-active --quiet rdnbrd; then systemctl stop rdnbrd || exit 1; out=stopped; else out=not-running; fi; ' +
    'systemctl disable rdnbrd >/dev/null 2>&1; echo $out',
  status: () => 'if systemctl is-active --quiet rdnbrd; then echo running; else echo stopped; fi',
  reconcile: 'systemctl restart rdnbrd',
};
