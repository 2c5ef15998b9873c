/**
 * The probe mesh `cldemo measure` runs: from each rack to the racks after it (in topology
 * order, around the ring), ICMP and HTTP towards a container there, sent from the rack's leaf
 * (its loopback) and from one of its servers (the server's own address in the container
 * subnet: the same leaf port, gateway and fabric path as its containers, and it stays up when
 * a container is stopped). Pure: the plan in, the flows out.
 */
import { platformOf } from '../platforms/index.js';
import type { ContainerPlan, Plan, ServerPlan, SwitchPlan } from '../topology/types.js';

export type ProbeKind = 'icmp' | 'http';
export type SourceKind = 'leaves' | 'servers';

interface FlowEnd {
  node: string;
  role: 'leaf' | 'server';
  /** the address probes leave from */
  address: string;
  /** its rack: the leaf itself, or the server's leaf */
  leaf: string;
}

export interface Flow {
  /** `leaf01 > server04-172.16.1.41 icmp` */
  id: string;
  kind: ProbeKind;
  from: FlowEnd;
  to: { container: string; ip: string; server: string; leaf: string };
}

export interface MeshOptions {
  kinds: ProbeKind[];
  sources: SourceKind[];
  /** how many other racks each rack probes (the next ones around the ring) */
  peers: number;
}

export const DEFAULT_MESH: MeshOptions = { kinds: ['icmp', 'http'], sources: ['leaves', 'servers'], peers: 3 };

interface Rack {
  leaf: SwitchPlan;
  servers: ServerPlan[];
  containers: ContainerPlan[];
}

function racks(plan: Plan): Rack[] {
  return plan.switches
    .filter((s) => s.role === 'leaf')
    .map((leaf) => {
      const servers = plan.servers.filter((s) => s.uplink.leaf === leaf.name);
      return { leaf, servers, containers: servers.flatMap((s) => s.containers) };
    });
}

/** Where a rack's probes leave from: its leaf and its first server, each when its platform can send them. */
function sourcesOf(rack: Rack, kinds: SourceKind[]): FlowEnd[] {
  const out: FlowEnd[] = [];
  const leaf = rack.leaf.name;
  if (kinds.includes('leaves') && platformOf(rack.leaf).measure) out.push({ node: leaf, role: 'leaf', address: rack.leaf.loopback, leaf });
  const server = rack.servers.find((s) => platformOf(s).measure);
  if (kinds.includes('servers') && server) out.push({ node: server.name, role: 'server', address: server.uplink.address, leaf });
  return out;
}

/** Every flow of the mesh, in rack order; each source of a rack aims at a different container of the rack it probes. */
export function planMesh(plan: Plan, opts: MeshOptions = DEFAULT_MESH): Flow[] {
  const all = racks(plan);
  const flows: Flow[] = [];
  all.forEach((rack, i) => {
    const peers = [...all.slice(i + 1), ...all.slice(0, i)].filter((r) => r.containers.length > 0).slice(0, opts.peers);
    sourcesOf(rack, opts.sources).forEach((from, s) => {
      peers.forEach((peer, j) => {
        const c = peer.containers[(i + j + s) % peer.containers.length];
        for (const kind of opts.kinds) {
          flows.push({ id: `${from.node} > ${c.name} ${kind}`, kind, from, to: { container: c.name, ip: c.ip, server: c.server, leaf: peer.leaf.name } });
        }
      });
    });
  });
  return flows;
}
