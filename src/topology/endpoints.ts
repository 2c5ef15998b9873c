/**
 * A link named by one of its ends, as the fault and impairment commands take it
 * (`leaf01:swp51`, `server01:eth1`): either end of a fabric link or of a server uplink.
 */
import { quote, UsageError } from '../errors.js';
import type { Endpoint, Link, Plan } from './types.js';

/** `a:p -- b:q`, the way every report names a link. */
export function linkName(l: Link): string {
  return `${l.a.node}:${l.a.port} -- ${l.b.node}:${l.b.port}`;
}

export function endpointName(e: Endpoint): string {
  return `${e.node}:${e.port}`;
}

/** The link that `spec` (NODE:PORT) is an end of; a usage error naming what exists otherwise. */
export function findLink(plan: Plan, spec: string): Link {
  const m = /^([^:\s]+):([^:\s]+)$/.exec(spec);
  if (!m) throw new UsageError(`${quote(spec)} is not NODE:PORT (e.g. leaf01:swp51)`);
  const [, node, port] = m;
  const link = plan.links.find((l) => (l.a.node === node && l.a.port === port) || (l.b.node === node && l.b.port === port));
  if (link) return link;
  const nodes = [...plan.switches, ...plan.servers].map((n) => n.name);
  if (!nodes.includes(node)) throw new UsageError(`no node ${quote(node)} in ${plan.file} (nodes: ${someOf(nodes)})`);
  const ports = plan.links.flatMap((l) => [l.a, l.b]).filter((e) => e.node === node).map((e) => e.port);
  throw new UsageError(`${node} has no link on port ${quote(port)} in ${plan.file} (its links: ${ports.length ? ports.join(', ') : 'none'})`);
}

/** The link's ends, the named one first. */
export function endsFrom(link: Link, spec: string): [Endpoint, Endpoint] {
  return endpointName(link.b) === spec ? [link.b, link.a] : [link.a, link.b];
}

function someOf(names: string[], max = 10): string {
  return names.length > max ? `${names.slice(0, max).join(', ')}, ... (${names.length} in all)` : names.join(', ');
}
