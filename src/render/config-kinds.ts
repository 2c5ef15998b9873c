/**
 * The config files cldemo renders, one row per kind: where it lives on a node, which nodes
 * get it, how a node checks a candidate copy before it replaces the running file, and how
 * an installed file takes effect. Render, install and apply look a file's kind up here;
 * nothing else knows a config path. The kind is also the template folder
 * (templates/<kind>/<platform>.j2).
 */
import type { NodePlan, SwitchPlan } from '../topology/types.js';

export type ConfigKind = 'interfaces' | 'frr' | 'daemons' | 'rdnbrd';

/**
 * How an installed file takes effect. The first three name a command of the platform
 * (fabric/platforms.ts `PlatformCommands`); `agent`: the rdnbrd agent is told when it is
 * ensured (started, HUP or restart), not by a command of its own.
 */
export type ApplyAction = 'reloadInterfaces' | 'reloadFrr' | 'restartFrr' | 'agent';

export interface ConfigKindSpec {
  /** the file on the node; every platform (Debian's and Cumulus's layout) agrees */
  path: string;
  appliesTo: (node: NodePlan) => boolean;
  /**
   * argv that parses candidate `file` (not the live path) and exits non-zero on a bad one;
   * it touches neither the running daemons nor the interfaces. None: nothing can check it.
   */
  check?: (file: string) => string[];
  apply: ApplyAction;
  /** true when going from `before` to `after` needs no apply (default: never) */
  sameEffect?: (before: string | null, after: string | null) => boolean;
}

/** A config file of a node: what it is and where it goes. */
export interface ConfigFile {
  kind: ConfigKind;
  path: string;
}

export interface RenderedFile extends ConfigFile {
  text: string;
}

export const isSwitch = (n: NodePlan): n is SwitchPlan => n.role !== 'server';

/** In the order files are rendered, installed and listed. */
export const CONFIG_KINDS: Readonly<Record<ConfigKind, ConfigKindSpec>> = {
  interfaces: {
    path: '/etc/network/interfaces',
    appliesTo: () => true,
    // ifupdown2 needs /run/network to exist, even to parse
    check: (file) => ['ifup', '--syntax-check', '--all', '--interfaces', file],
    apply: 'reloadInterfaces',
  },
  frr: {
    path: '/etc/frr/frr.conf',
    appliesTo: isSwitch,
    // vtysh's dry run parses with every daemon's command tree; no daemon needs to run
    check: (file) => ['vtysh', '--dryrun', '--inputfile', file],
    apply: 'reloadFrr',
  },
  daemons: {
    path: '/etc/frr/daemons',
    appliesTo: isSwitch,
    // sourced by frrinit.sh: at least it must be valid shell
    check: (file) => ['sh', '-n', file],
    // which daemons run is read at start only
    apply: 'restartFrr',
    sameEffect: (before, after) => frrDaemonSettings(before) === frrDaemonSettings(after),
  },
  rdnbrd: {
    path: '/etc/rdnbrd.conf',
    appliesTo: (n) => n.role === 'leaf',
    // key=value lines the agent validates when it reads them
    apply: 'agent',
  },
};

const CONFIG_KIND_NAMES = Object.keys(CONFIG_KINDS) as readonly ConfigKind[];

/** The platform commands that make files take effect, in the order they run. */
const APPLY_ORDER = ['reloadInterfaces', 'restartFrr', 'reloadFrr'] as const satisfies readonly ApplyAction[];

/** The config files a node gets, in table order. */
export function configFilesFor(node: NodePlan): ConfigFile[] {
  return CONFIG_KIND_NAMES.filter((kind) => CONFIG_KINDS[kind].appliesTo(node)).map((kind) => ({ kind, path: CONFIG_KINDS[kind].path }));
}

/**
 * The platform actions that make `kinds` take effect, in APPLY_ORDER; a restart of FRR
 * covers its reload. `agent` is left to whoever ensures the agent.
 */
export function applyActions(kinds: readonly ConfigKind[]): (typeof APPLY_ORDER)[number][] {
  const wanted = new Set<ApplyAction>(kinds.map((k) => CONFIG_KINDS[k].apply));
  if (wanted.has('restartFrr')) wanted.delete('reloadFrr');
  return APPLY_ORDER.filter((a) => wanted.has(a));
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
