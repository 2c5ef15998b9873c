/**
 * A lab cable pulled and plugged back. A veth cannot lose carrier while both ends are
 * administratively up (`ip link set ... carrier off` is not supported on veth), and taking one
 * end down only makes its peer report NO-CARRIER. So the cable is pulled by taking BOTH ends
 * down, each by its node's platform command run inside the node, and both ends are read back:
 * each reports the link down, and the routing daemons on both sides see it go at once.
 */
import { OperationError } from '../errors.js';
import { platformOf, type PortState } from '../platforms/index.js';
import { endpointName, linkName } from '../topology/endpoints.js';
import type { Endpoint, Link, Plan } from '../topology/types.js';
import { builtNode, labNode, nodeSh } from './node-shell.js';

/** One end as its node reports it. */
export interface EndState extends PortState {
  node: string;
}

/** Reads the ends' ports from their nodes, with each node's platform command. */
async function labEndStates(plan: Plan, ends: Endpoint[]): Promise<EndState[]> {
  return Promise.all(
    ends.map(async (e) => {
      const ports = portCommands(plan, e.node);
      const [state] = ports.show.parse(await nodeSh(builtNode(plan, e.node), ports.show.command()), [e.port]);
      return { node: e.node, ...state };
    }),
  );
}

function portCommands(plan: Plan, node: string) {
  const ports = platformOf(labNode(plan, node)).ports;
  if (!ports) throw new OperationError(`${node}: its platform has no port commands`);
  return ports;
}

/** Both ends (the named one first) down (`up` false) or up; resolves to both as read afterwards, and whether anything changed. */
export async function labLinkSet(plan: Plan, link: Link, ends: [Endpoint, Endpoint], up: boolean): Promise<{ ends: EndState[]; changed: boolean }> {
  const before = await labEndStates(plan, ends);
  const missing = before.filter((s) => !s.exists);
  if (missing.length) throw new OperationError(`${linkName(link)}: ${missing.map((s) => `${s.node} has no port ${s.port}`).join('; ')}`);
  await Promise.all(ends.map((e) => nodeSh(builtNode(plan, e.node), portCommands(plan, e.node).set(e.port, up))));
  const after = await labEndStates(plan, ends);
  const wrong = after.filter((s) => s.admin !== (up ? 'up' : 'down'));
  if (wrong.length) throw new OperationError(`${linkName(link)}: ${wrong.map((s) => `${endpointName(s)} is still admin ${s.admin}`).join('; ')}`);
  return { ends: after, changed: before.some((s) => s.admin !== (up ? 'up' : 'down')) };
}
