import type { Command } from 'commander';
import { OperationError, UsageError } from '../errors.js';
import { sameFailures } from '../fabric/failures.js';
import { verifyRoutes, type VerifyReport } from '../fabric/observe/verify-routes.js';
import { bad, dim, ok, printJson, table } from '../output.js';
import { fabricOptions, seconds, withFabric, type FabricOpts } from './fabric-common.js';

interface VerifyOpts extends FabricOpts {
  wait?: string;
  absent?: boolean;
  dataplane: boolean;
}

export function registerVerifyRoutes(program: Command): void {
  fabricOptions(program.command('verify-routes').description("compare every switch's routes with the topology's /32s (and /128s); HTTP to every container"))
    .option('--wait <seconds>', 'check everything again every second until it all holds or this runs out')
    .option('--absent', "check that the containers' /32s (and /128s) are gone instead")
    .option('--no-dataplane', 'skip the HTTP checks')
    .action(async (opts: VerifyOpts) => {
      const waitS = opts.wait === undefined ? 0 : Number(opts.wait);
      if (!Number.isFinite(waitS) || waitS < 0) throw new UsageError(`--wait ${opts.wait}: give a number of seconds`);
      const report = await withFabric(opts, (ctx) => verifyRoutes(ctx, { absent: opts.absent, dataplane: opts.dataplane, waitS }));
      if (opts.json) printJson(report);
      else printReport(report, opts.verbose ?? false);
      if (!report.ok) throw new OperationError(failureLine(report));
    });
}

function printReport(r: VerifyReport, verbose: boolean): void {
  // long lists stay in --verbose and --json: a row fits a terminal
  const list = (xs: string[]) => (!xs.length ? dim('-') : verbose || xs.length <= 2 ? xs.join(' ') : `${xs.length}: ${xs[0]} ...`);
  console.log(
    table(
      r.absent ? ['switch', 'result', 'still present'] : ['switch', 'result', 'present', 'missing', 'unexpected', 'wrong next hop'],
      r.switches.map((s) => {
        const verdict = s.ok ? ok('ok') : bad(s.error ? 'FAILED (below)' : 'FAILED');
        if (r.absent) return [s.name, verdict, list(s.present)];
        const wrong = s.wrong_nexthop.map((w) => `${w.prefix} via ${w.actual.join(',')} (want ${w.expected.join(',')})`);
        return [s.name, verdict, presentCount(s.present), list(s.missing), list(s.unexpected), list(wrong)];
      }),
    ),
  );
  if (r.dataplane) {
    console.log();
    const http = (d: (typeof r.dataplane)[number]) => (d.ok ? ok(`${d.status} ${d.server}`) : bad(d.error ?? `${d.status || 'no answer'} ${d.server ?? ''}`.trim()));
    console.log(table(['container', 'ip', 'from', 'http'], r.dataplane.map((d) => [d.name, d.ip, d.from, http(d)])));
  }
  console.log(`\n${r.ok ? ok('ok') : bad('FAILED')} after ${seconds(r.elapsed_ms)}`);
}

/** How many host routes a switch holds; dual stack: the /32s and the /128s apart. */
function presentCount(present: string[]): string {
  const v6 = present.filter((p) => p.endsWith('/128')).length;
  return v6 === 0 ? String(present.length) : `${present.length - v6} + ${v6} /128`;
}

function failureLine(r: VerifyReport): string {
  const unreachable = sameFailures(r.switches.filter((s) => s.error).map((s) => ({ node: s.name, error: s.error! })));
  const bits = r.switches.filter((s) => !s.ok && !s.error).map((s) => {
    if (r.absent) return `${s.name}: still holds ${s.present.join(' ')}`;
    const parts = [
      s.missing.length && `missing ${s.missing.join(' ')}`,
      s.unexpected.length && `unexpected ${s.unexpected.join(' ')}`,
      s.wrong_nexthop.length && `wrong next hop for ${s.wrong_nexthop.map((w) => w.prefix).join(' ')}`,
    ].filter(Boolean);
    return `${s.name}: ${parts.join('; ')}`;
  });
  bits.unshift(...unreachable);
  const http = (r.dataplane ?? []).filter((d) => !d.ok).map((d) => d.name);
  if (http.length) bits.push(`HTTP failed for ${http.join(', ')}`);
  return `verify-routes: ${r.absent ? 'routes still present' : 'the fabric does not match the topology'}\n${bits.join('\n')}`;
}
