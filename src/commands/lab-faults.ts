/** `cldemo lab link|node|impair`: thin adapters over src/faults.ts; the words are here. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { clearImpairments, impair, linkSet, listImpairments, nodeSet, parseImpairment, type LinkImpairment, type LinkReport, type NodeReport } from '../faults.js';
import { withLock } from '../lock.js';
import { bad, dim, printJson, table } from '../output.js';
import { describeImpairment as impairmentWords } from '../topology/impair.js';
import type { Plan } from '../topology/types.js';
import { topologyOption } from './common.js';

type Load = (opts: { topology?: string }) => Promise<Plan>;

/** A lab's faults wait for its lab up/down and never run beside another; a real box's link has no lab to lock. */
function locked<T>(plan: Plan, work: () => Promise<T>): Promise<T> {
  return plan.provider === 'lab' ? withLock(plan.name, 'lab', work) : work();
}

function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${what} ${JSON.stringify(value).slice(0, 40)}: give ${allowed.join(', ')}`);
  return value as T;
}

export function registerFaults(lab: Command, load: Load): void {
  registerLink(lab, load);
  registerNode(lab, load);
  registerImpair(lab, load);
}

function registerLink(lab: Command, load: Load): void {
  topologyOption(
    lab
      .command('link')
      .description('pull a link\'s cable (down: both ends lose it) or plug it back (up); provider external: ip link set on the box, with --yes')
      .argument('<node:port>', 'either end of a fabric link or a server uplink, e.g. leaf01:swp51')
      .argument('<state>', 'down or up'),
  )
    .option('--yes', 'provider external: yes, change the real box')
    .option('--json', 'print one JSON document')
    .action(async (endpoint: string, state: string, opts: { topology: string; yes?: boolean; json?: boolean }) => {
      const action = oneOf('lab link: state', state, ['down', 'up'] as const);
      const plan = await load(opts);
      const r = await locked(plan, () => linkSet(plan, endpoint, action, { yes: opts.yes }));
      if (opts.json) printJson(r);
      else console.log(linkWords(r));
    });
}

function linkWords(r: LinkReport): string {
  const end = (e: LinkReport['ends'][number]) =>
    e.error ? `${e.node}:${e.port} ${bad(`unread: ${e.error}`)}` : `${e.node}:${e.port} ${e.admin === 'up' ? (e.carrier ? 'up' : 'no carrier') : 'admin down'}`;
  return `${r.link}: ${r.changed ? r.action : `already ${r.action}`} ${dim(`(${r.ends.map(end).join(', ')})`)}`;
}

function registerNode(lab: Command, load: Load): void {
  topologyOption(
    lab
      .command('node')
      .description('power a lab node down (every peer loses carrier, every process stops), hang it (links up, nothing answers) or bring it up again')
      .argument('<node>', 'a switch or server of the lab')
      .argument('<state>', 'down, hang or up'),
  )
    .option('--json', 'print one JSON document')
    .action(async (node: string, state: string, opts: { topology: string; json?: boolean }) => {
      const action = oneOf('lab node: state', state, ['down', 'hang', 'up'] as const);
      const plan = await load(opts);
      const r = await withLock(plan.name, 'lab', () => nodeSet(plan, node, action));
      if (opts.json) printJson(r);
      else console.log(nodeWords(r));
    });
}

function nodeWords(r: NodeReport): string {
  if (!r.changed) return `${r.node}: already ${r.state}`;
  const n = r.processes;
  if (r.action === 'down') return `${r.node}: powered down (${n} processes killed; every port down)`;
  if (r.action === 'hang') return `${r.node}: hung (${n} processes stopped; every packet dropped, links still up)`;
  return n === undefined ? `${r.node}: up (booted again: its daemons run from the configs it has)` : `${r.node}: up (${n} processes continued; packets pass again)`;
}

interface ImpairOpts {
  topology: string;
  json?: boolean;
  list?: boolean;
  clear?: boolean;
  loss?: string;
  rate?: string;
  delay?: string;
  jitter?: string;
  duplicate?: string;
  corrupt?: string;
}

function registerImpair(lab: Command, load: Load): void {
  topologyOption(
    lab
      .command('impair')
      .description('impair a link in both directions (loss, rate; delay, jitter, duplicate, corrupt where the kernel has sch_netem), --clear it, or --list what is in force')
      .argument('[node:port]', 'either end of the link, e.g. leaf01:swp51'),
  )
    .option('--loss <pct>', 'drop this share of packets, each way (e.g. 5 or 5%)')
    .option('--rate <rate>', 'at most this many bits per second, each way (e.g. 10mbit)')
    .option('--delay <ms>', 'add this delay, each way (needs sch_netem)')
    .option('--jitter <ms>', 'vary the delay by this much (needs sch_netem)')
    .option('--duplicate <pct>', 'send this share of packets twice (needs sch_netem)')
    .option('--corrupt <pct>', 'flip a bit in this share of packets (needs sch_netem)')
    .option('--clear', 'remove the link\'s impairment (every link\'s without NODE:PORT)')
    .option('--list', 'the impairments in force, read from the nodes')
    .option('--json', 'print one JSON document')
    .action(async (endpoint: string | undefined, opts: ImpairOpts) => {
      const values = { loss: opts.loss, rate: opts.rate, delay: opts.delay, jitter: opts.jitter, duplicate: opts.duplicate, corrupt: opts.corrupt };
      const given = Object.entries(values).filter(([, v]) => v !== undefined).map(([k]) => `--${k}`);
      if (opts.list && (opts.clear || given.length || endpoint)) throw new UsageError('lab impair --list takes no NODE:PORT, --clear or impairment');
      if (opts.clear && given.length) throw new UsageError(`lab impair --clear takes no impairment (${given.join(', ')})`);
      if (!opts.list && !opts.clear && !endpoint) throw new UsageError('lab impair: give NODE:PORT and an impairment (--loss, --rate, ...), or --clear, or --list');
      const spec = opts.list || opts.clear ? undefined : parseImpairment(values, `lab impair ${endpoint}`);
      const plan = await load(opts);
      if (opts.list) return show(await listImpairments(plan), opts.json);
      if (opts.clear) return cleared(await withLock(plan.name, 'lab', () => clearImpairments(plan, endpoint)), opts.json);
      const r = await withLock(plan.name, 'lab', () => impair(plan, endpoint!, spec!));
      if (opts.json) printJson(r);
      else console.log(`${r.link}: ${impairmentWords(r.impair)}`);
    });
}

function show(list: LinkImpairment[], json?: boolean): void {
  if (json) return printJson({ impairments: list });
  if (!list.length) return console.log('no impairments in force');
  const rows = list.map((l) => [l.link, impairmentWords(l.impair), l.partial ? bad(`partial: ${l.ends.join(', ')}`) : l.ends.join(', ')]);
  console.log(table(['LINK', 'IMPAIRMENT (EACH WAY)', 'CARRIED BY'], rows));
}

function cleared(list: LinkImpairment[], json?: boolean): void {
  if (json) return printJson({ cleared: list });
  if (!list.length) return console.log('no impairments were in force');
  for (const l of list) console.log(`${l.link}: cleared (was ${impairmentWords(l.impair)})`);
}
