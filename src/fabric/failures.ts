/**
 * The same failure on many nodes is one problem: said once, with the list of nodes.
 * A node's own management address inside a message (SSH errors name it) does not make
 * two failures different.
 */

export interface NodeFailure {
  node: string;
  error: string;
  /** the node's management address, replaced by a placeholder when messages are compared */
  host?: string;
}

export function sameFailures(failures: NodeFailure[]): string[] {
  const groups = new Map<string, { nodes: string[]; error: string }>();
  for (const f of failures) {
    const key = f.host ? f.error.split(f.host).join('<mgmt address>') : f.error;
    const g = groups.get(key);
    if (g) g.nodes.push(f.node);
    else groups.set(key, { nodes: [f.node], error: f.error });
  }
  return [...groups].map(([key, g]) => (g.nodes.length === 1 ? `${g.nodes[0]}: ${g.error}` : `${g.nodes.join(', ')}: ${key}`));
}
