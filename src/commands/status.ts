/** `cldemo status`: thin adapter over src/fabric/status. */
import type { Command } from 'commander';
import { OperationError } from '../errors.js';
import type { ContainerStatus, FailureKind, StatusReport } from '../fabric/observe/formats.js';
import { fabricStatus } from '../fabric/observe/status.js';
import { bad, dim, ok, printJson, table } from '../output.js';
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
  const frac = (a: number, b: number) => (a === b ? ok(`${a}/${b}`) : bad(`${a}/${b}`));
  const switches = table(
    ['switch', 'role', 'bgp', '/32s', 'agent'],
    r.switches.map((s) => {
      if (!s.reachable) return [s.name, s.role, failed(s), '', ''];
      const version = s.agent?.version ? dim(` (${s.agent.version.slice(0, 8)})`) : '';
      const agent = !s.agent ? dim('-') : s.agent.state === 'running' ? `${ok('running')} pid ${s.agent.pid ?? '?'}, ${s.agent.neighbors} neighbors${version}` : bad('stopped');
      const extra = s.routes!.unexpected.length ? bad(` +${s.routes!.unexpected.length} unexpected`) : '';
      return [s.name, s.role, frac(s.bgp!.up, s.bgp!.total), frac(s.routes!.present, s.routes!.expected) + extra, agent];
    }),
  );
  const servers = table(
    ['server', 'dockerd', 'containers running'],
    r.servers.map((s) => (s.reachable ? [s.name, ok('up'), frac(s.containers!.running, s.containers!.expected)] : [s.name, failed(s), ''])),
  );
  const shown = verbose ? r.containers : r.containers.filter((c) => !containerOk(c));
  const containers = shown.length
    ? table(
        ['container', 'server', 'leaf port', 'state', 'arp', '/32 on'],
        shown.map((c) => [c.name, c.server, `${c.leaf}:${c.port}`, c.state === 'running' ? ok(c.state) : bad(c.state), c.arp, frac(c.routed_on, c.switches)]),
      )
    : dim(`${r.containers.length} containers: all running, learned by their leaf, routed on every switch (--verbose lists them)`);
  const verdict = r.ok ? ok('ok') : bad(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`);
  return [switches, '', servers, '', containers, '', `${verdict} (${seconds(r.elapsed_ms)})`].join('\n');
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
  return c.state === 'running' && c.routed_on === c.switches && !['none', 'FAILED', 'INCOMPLETE', 'unknown'].includes(c.arp);
}
