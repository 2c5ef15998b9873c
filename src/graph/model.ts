/**
 * The fabric as a graph, pure from the plan: what every drawing (Mermaid, Graphviz, the
 * HTML page) shows. Containers are nodes too, so the live page can colour and hide them.
 */
import type { Plan, Role } from '../topology/types.js';

export type GraphRole = Role | 'container';

export interface GraphNode {
  id: string;
  role: GraphRole;
  /** the first line of every label */
  name: string;
  /** further label lines: ASN, loopback, addresses, container count */
  details: string[];
  /** for containers: the server it runs on */
  parent?: string;
  ip?: string;
}

interface GraphEdge {
  a: string;
  aPort: string;
  b: string;
  bPort: string;
  kind: 'fabric' | 'server' | 'container';
}

export interface FabricGraph {
  name: string;
  subnet: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function fabricGraph(plan: Plan): FabricGraph {
  // dual stack: each IPv6 address on a line of its own under its IPv4 one
  const v6 = (address: string | undefined, before = '') => (address ? [`${before}${address}`] : []);
  const nodes: GraphNode[] = [
    ...plan.switches.map((s): GraphNode => ({ id: s.name, role: s.role, name: s.name, details: [`AS ${s.asn}`, `lo ${s.loopback}`, ...v6(s.loopback6, 'lo ')] })),
    ...plan.servers.map((s): GraphNode => ({
      id: s.name,
      role: 'server',
      name: s.name,
      details: [
        `${s.uplink.interface} ${s.uplink.address}`,
        ...v6(s.uplink.address6, `${s.uplink.interface} `),
        `${s.containers.length} container${s.containers.length === 1 ? '' : 's'}`,
      ],
    })),
    ...plan.containers.map((c): GraphNode => ({ id: c.name, role: 'container', name: c.ip, details: v6(c.ip6), parent: c.server, ip: c.ip })),
  ];
  const edges: GraphEdge[] = [
    ...plan.links.map((l): GraphEdge => ({ a: l.a.node, aPort: l.a.port, b: l.b.node, bPort: l.b.port, kind: l.kind })),
    ...plan.containers.map((c): GraphEdge => ({ a: c.server, aPort: plan.servers.find((s) => s.name === c.server)!.network.name, b: c.name, bPort: '', kind: 'container' })),
  ];
  return { name: plan.name, subnet: plan.ipv6 ? `${plan.subnet} and ${plan.ipv6.prefix}` : plan.subnet, nodes, edges };
}

/** Switches and servers with their links, without the containers (the static drawings). */
export function withoutContainers(g: FabricGraph): FabricGraph {
  return { ...g, nodes: g.nodes.filter((n) => n.role !== 'container'), edges: g.edges.filter((e) => e.kind !== 'container') };
}
