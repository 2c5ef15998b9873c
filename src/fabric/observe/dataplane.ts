/**
 * The data-plane check: an HTTP GET to each container from a leaf in another rack, sourced
 * from that leaf's loopback, so the request and the answer both cross the fabric on the
 * /32s. One remote command per leaf, every request in it in parallel.
 */
import { shellQuote } from '../../transport/shell.js';
import type { ContainerPlan, Plan, SwitchPlan } from '../../topology/types.js';
import type { FabricContext } from '../context.js';
import { ipv4 } from '../../platforms/linux.js';
import { runRemote } from '../remote.js';

export interface HttpCheck {
  name: string;
  ip: string;
  /** the leaf the request came from */
  from: string;
  ok: boolean;
  status?: number;
  server?: string;
  error?: string;
}

/** The leaf after the container's own one, in topology order: another rack whenever there is one. */
function probeLeaf(plan: Plan, c: ContainerPlan): SwitchPlan {
  const leaves = plan.switches.filter((s) => s.role === 'leaf');
  const i = leaves.findIndex((l) => l.name === c.leaf);
  return leaves[(i + 1) % leaves.length];
}

export function httpProbeCommand(loopback: string, ips: string[], timeoutS = 2): string {
  const lines = ips.map(
    (ip) =>
      `(r=$(curl -s -o /dev/null -D - -m ${timeoutS} --interface ${ipv4(loopback)} http://${ipv4(ip)}/ 2>/dev/null | tr -d '\\r' | awk ${shellQuote('NR==1{c=$2} tolower($1)=="server:"{s=$2} END{print c+0, s}')}); echo ${ipv4(ip)} $r) &`,
  );
  return [...lines, 'wait'].join('\n');
}

/** Parses `<ip> <status> <server>` lines. */
export function parseHttpProbe(stdout: string): Map<string, { status: number; server: string }> {
  const out = new Map<string, { status: number; server: string }>();
  for (const line of stdout.split('\n')) {
    const [ip, status, server] = line.trim().split(/\s+/);
    if (ip) out.set(ip, { status: Number(status) || 0, server: server ?? '' });
  }
  return out;
}

function httpPassed(status: number, server: string): boolean {
  return status === 200 && server.startsWith('Apache');
}

export async function checkHttp(ctx: FabricContext, containers: ContainerPlan[]): Promise<HttpCheck[]> {
  const bySource = new Map<SwitchPlan, ContainerPlan[]>();
  for (const c of containers) {
    const leaf = probeLeaf(ctx.plan, c);
    bySource.set(leaf, [...(bySource.get(leaf) ?? []), c]);
  }
  const results = await Promise.all(
    [...bySource].map(async ([leaf, cs]): Promise<HttpCheck[]> => {
      try {
        const conn = await ctx.connect(leaf);
        const r = await runRemote(conn, httpProbeCommand(leaf.loopback, cs.map((c) => c.ip)), { what: 'fetching the containers\' pages', timeoutMs: 15_000 });
        const answers = parseHttpProbe(r.stdout);
        return cs.map((c) => {
          const a = answers.get(c.ip) ?? { status: 0, server: '' };
          return { name: c.name, ip: c.ip, from: leaf.name, ok: httpPassed(a.status, a.server), status: a.status, server: a.server || undefined };
        });
      } catch (e) {
        return cs.map((c) => ({ name: c.name, ip: c.ip, from: leaf.name, ok: false, error: (e as Error).message }));
      }
    }),
  );
  return results.flat();
}
