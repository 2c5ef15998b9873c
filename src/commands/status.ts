/** `cldemo status`: thin adapter over src/fabric/status. */
import type { Command } from 'commander';
import { OperationError } from '../errors.js';
import type { ContainerStatus, FailureKind, StatusReport, SwitchStatus } from '../fabric/observe/formats.js';
import { fabricStatus } from '../fabric/observe/status.js';
import { bad, dim, ok, printJson, table } from '../output.js';
import { describeImpairment } from '../topology/impair.js';
import { fabricOptions, seconds, withFabric, type FabricOpts } from './fabric-common.js';

export function registerStatus(program: Command): void {
  fabricOptions(program.command('status').description('the running fabric at a glance: BGP, /32s, agents, dockerd, containers'))
    .action(async (opts: FabricOpts) => {
      const report = await withFabric(opts, (ctx) => fabricStatus(ctx));
      if (opts.json) printJson(report);
      else console.log(statusText(report, opts.verbose ?? false));
      if (!report.ok) throw new OperationError(`status: ${report.problems.length === 1 ? 'one problem' : `${report.problems.length} problems`}\n${report.problems.join('\n')}`);
    });
}

export function statusText(r: StatusReport, verbose: boolean): string {
  // dual stack adds the IPv6 figures beside the IPv4 ones; an IPv4-only fabric prints as it always did
  const dual = r.switches.some((s) => s.routes6) || r.containers.some((c) => c.ip6);
  const both = <T>(cells: T[], more: T[]): T[] => (dual ? [...cells, ...more] : cells);
  const switches = table(
    both(['switch', 'role', 'bgp', '/32s'], ['/128s']).concat('agent'),
    r.switches.map((s) => {
      if (!s.reachable) return both([s.name, s.role, failed(s), ''], ['']).concat('');
      return both([s.name, s.role, frac(s.bgp!.up, s.bgp!.total), routes(s.routes)], [routes(s.routes6)]).concat(agentText(s));
    }),
  );
  const servers = table(
    ['server', 'dockerd', 'containers running'],
    r.servers.map((s) => (s.reachable ? [s.name, ok('up'), frac(s.containers!.running, s.containers!.expected)] : [s.name, failed(s), ''])),
  );
  const shown = verbose ? r.containers : r.containers.filter((c) => !containerOk(c));
  const containers = shown.length
    ? table(
        both(['container', 'server', 'leaf port', 'state', 'arp', '/32 on'], ['nd', '/128 on']),
        shown.map((c) =>
          both(
            [c.name, c.server, `${c.leaf}:${c.port}`, c.state === 'running' ? ok(c.state) : bad(c.state), c.arp, frac(c.routed_on, c.switches)],
            [c.nd ?? '-', c.routed6_on === undefined ? '-' : frac(c.routed6_on, c.switches)],
          ),
        ),
      )
    : dim(`${r.containers.length} containers: all running, learned by their leaf, routed on every switch (--verbose lists them)`);
  const verdict = r.ok ? ok('ok') : bad(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`);
  return [switches, '', servers, '', containers, '', ...impairmentLines(r), `${verdict} (${seconds(r.elapsed_ms)})`].join('\n');
}

/** The impairments in force (the lab), one line each, and a blank line after them. */
function impairmentLines(r: StatusReport): string[] {
  if (!r.impairments?.length) return [];
  const lines = r.impairments.map((i) => `impaired: ${i.link}  ${describeImpairment(i.impair)} each way${i.partial ? bad(` (partial: ${i.ends.join(', ')})`) : ''}`);
  return [...lines, ''];
}

function frac(a: number, b: number): string {
  return a === b ? ok(`${a}/${b}`) : bad(`${a}/${b}`);
}

/** present/expected, and how many unexpected ones */
function routes(counts: SwitchStatus['routes']): string {
  if (!counts) return dim('-');
  const extra = counts.unexpected.length ? bad(` +${counts.unexpected.length} unexpected`) : '';
  return frac(counts.present, counts.expected) + extra;
}

function agentText(s: SwitchStatus): string {
  if (!s.agent) return dim('-');
  if (s.agent.state !== 'running') return bad('stopped');
  const version = s.agent.version ? dim(` (${s.agent.version.slice(0, 8)})`) : '';
  const held = s.agent.neighbors6 === undefined ? `${s.agent.neighbors}` : `${s.agent.neighbors} IPv4 + ${s.agent.neighbors6} IPv6`;
  return `${ok('running')} pid ${s.agent.pid ?? '?'}, ${held} neighbors${version}`;
}

/** what failed, where a node's counts would be; the reason follows once in the problems (the same one on many nodes is one line) */
const FAILURE_LABELS: Record<FailureKind, string> = {
  ssh: 'unreachable (ssh)',
  timeout: 'no answer (timed out)',
  vtysh: 'vtysh failed',
  parse: 'could not parse',
  docker: 'dockerd not answering',
};

function failed(s: { failure?: FailureKind }): string {
  return bad(FAILURE_LABELS[s.failure ?? 'ssh']);
}

function containerOk(c: ContainerStatus): boolean {
  const dead = (state: string | undefined) => state !== undefined && ['none', 'FAILED', 'INCOMPLETE', 'unknown'].includes(state);
  const routed6 = c.routed6_on === undefined || c.routed6_on === c.switches;
  return c.state === 'running' && c.routed_on === c.switches && routed6 && !dead(c.arp) && !dead(c.nd);
}
