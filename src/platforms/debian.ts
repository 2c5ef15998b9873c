/**
 * Debian's layout, which the built-in platforms share: ifupdown2's /etc/network/interfaces,
 * FRR's /etc/frr/frr.conf and /etc/frr/daemons, and /etc/rdnbrd.conf; each file's check on
 * the box and the step that makes it take effect. A platform with another layout (one file
 * per daemon, a config database, a commit) declares its own files instead.
 */
import type { NodePlan } from '../topology/types.js';
import { AGENT, type ApplyStep, type ConfigFileSpec, type RoutingRemedies } from './types.js';

const INTERFACES = '/etc/network/interfaces';
const FRR_CONF = '/etc/frr/frr.conf';
const FRR_DAEMONS = '/etc/frr/daemons';
export const RDNBRD_CONF = '/etc/rdnbrd.conf';

/** ifupdown2's interfaces file, rendered from templates/interfaces/<templateName>.j2. */
export function interfacesFile(templateName: string): ConfigFileSpec {
  return {
    kind: 'interfaces',
    path: INTERFACES,
    template: `interfaces/${templateName}.j2`,
    // ifupdown2 needs /run/network to exist, even to parse
    check: (file) => ['ifup', '--syntax-check', '--all', '--interfaces', file],
    takesEffect: 'reloadInterfaces',
  };
}

/** A switch running FRR from /etc/frr (templates/<feature>/<platform>.j2), and rdnbrd.conf on leaves. */
export function frrSwitchFiles(platform: string): ConfigFileSpec[] {
  return [
    interfacesFile(platform),
    {
      kind: 'frr',
      path: FRR_CONF,
      template: `frr/${platform}.j2`,
      // vtysh's dry run parses with every daemon's command tree; no daemon needs to run
      check: (file) => ['vtysh', '--dryrun', '--inputfile', file],
      takesEffect: 'reloadFrr',
    },
    {
      kind: 'daemons',
      path: FRR_DAEMONS,
      template: `daemons/${platform}.j2`,
      // sourced by frrinit.sh: at least it must be valid shell
      check: (file) => ['sh', '-n', file],
      // which daemons run is read at start only
      takesEffect: 'restartFrr',
      sameEffect: (before, after) => frrDaemonSettings(before) === frrDaemonSettings(after),
    },
    {
      kind: 'rdnbrd',
      path: RDNBRD_CONF,
      template: `rdnbrd/${platform}.j2`,
      appliesTo: (n: NodePlan) => n.role === 'leaf',
      // key=value lines the agent validates when it reads them
      takesEffect: AGENT,
    },
  ];
}

/**
 * A restart of FRR (`frrinit restart`) that keeps forwarding when bgpd runs with graceful
 * restart. FRR 8.4's bgpd, stopped (SIGINT/SIGTERM), withdraws every route it gave zebra first,
 * graceful restart or not, so the kernel loses them until the new bgpd has converged (FRR 10
 * added a graceful start for that). A bgpd that dies does not: zebra, told by bgpd that it
 * restarts gracefully, keeps its routes, zebra -r leaves them in the kernel and -K takes them
 * up again, and the peers keep theirs (the session closed without a NOTIFICATION). So, when
 * the running bgpd has graceful restart on, watchfrr (which would start a dead bgpd again at
 * once) is stopped and bgpd is killed, as a crash would, before FRR is stopped and started.
 *
 * In between, zebra's own copies of the agent's /32s (it installs each table-10 route in the
 * main table) are removed: a zebra started with -K would read them back as kernel routes,
 * which win over the table's (distance 0 against 15) and outlive a withdrawal until -K's timer.
 * Meanwhile a rule sends traffic to the leaf's own hosts by the agent's table, so a leaf with
 * several server ports keeps sending each host out of its own port. Otherwise `frrinit restart`.
 */
export function gracefulFrrRestart(frrinit: string): string {
  const stop = (daemon: string, signal: string) =>
    `p=$(cat ${FRR_RUN}/${daemon}.pid 2>/dev/null) && kill -${signal} "$p" 2>/dev/null && { i=0; while [ -e /proc/"$p" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; }`;
  const table = `t=$(sed -n 's/^route_table *= *\\([0-9][0-9]*\\).*/\\1/p' ${RDNBRD_CONF} 2>/dev/null)`;
  const installed = `[ "$(ip -4 route show table main proto zebra | wc -l)" -ge "$(ip -4 route show table "$t" | wc -l)" ]`;
  return [
    `if ! vtysh -c 'show running-config' 2>/dev/null | grep -qx ' bgp graceful-restart'; then exec ${frrinit} restart; fi`,
    stop('watchfrr', 'INT'),
    stop('bgpd', 'KILL'),
    table,
    '[ -z "$t" ] || ip rule add pref 100 lookup "$t"',
    `${frrinit} stop`,
    // `ip route flush` fails on routes with a nexthop object (EINVAL): one by one
    'ip -4 route show table main proto zebra | while read -r dst _; do ip -4 route del "$dst" table main proto zebra; done',
    `${frrinit} start; rc=$?`,
    `[ -z "$t" ] || { i=0; until ${installed} || [ $i -ge 100 ]; do sleep 0.1; i=$((i+1)); done; ip rule del pref 100 lookup "$t"; }`,
    'exit $rc',
  ].join('\n');
}

const FRR_RUN = '/var/run/frr';

export const RELOAD_INTERFACES: ApplyStep = { name: 'reloadInterfaces', command: 'ifreload -a', summary: 'ifreload' };

const RELOAD_FRR = `/usr/lib/frr/frr-reload.py --reload ${FRR_CONF}`;

/** What an operator runs to mend FRR: `start` (the box's own way), and frr-reload.py, which makes the running config the file again. */
export function frrRemedies(start: string): RoutingRemedies {
  return { startRouting: start, reloadRouting: RELOAD_FRR };
}

/**
 * Interfaces first; then FRR: a restart (which daemons run is read at start) covers a
 * reload of the running config, which is never a restart on its own.
 */
export function frrApplySteps(restartFrr: string): ApplyStep[] {
  return [
    RELOAD_INTERFACES,
    { name: 'restartFrr', command: restartFrr, summary: 'FRR restarted', covers: ['reloadFrr'] },
    { name: 'reloadFrr', command: RELOAD_FRR, summary: 'FRR reloaded' },
  ];
}

/**
 * What FRR's start script takes from /etc/frr/daemons: the daemons that run and their
 * options. Comments, order and the options of disabled daemons do not matter, and zebra
 * and staticd always run, so two files equal here need no restart between them.
 */
export function frrDaemonSettings(text: string | null): string {
  const settings = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^\s*([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) settings.set(m[1], m[2].trim().replace(/^"(.*)"$/, '$1').trim().replace(/\s+/g, ' '));
  }
  for (const always of ['zebra', 'staticd']) settings.set(always, 'yes');
  const disabled = (key: string) => key.endsWith('_options') && settings.get(key.slice(0, -'_options'.length)) !== 'yes';
  return [...settings].filter(([k]) => !disabled(k)).map(([k, v]) => `${k}=${v}`).sort().join('\n');
}
