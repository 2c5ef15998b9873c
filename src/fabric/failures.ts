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
  const groups = new Map<string, { nodes: string[]; first: string }>();
  for (const f of failures) {
    const first = f.error.split('\n')[0];
    const key = f.host ? first.split(f.host).join('<mgmt address>') : first;
    const g = groups.get(key);
    if (g) g.nodes.push(f.node);
    else groups.set(key, { nodes: [f.node], first });
  }
  return [...groups].map(([key, g]) => (g.nodes.length === 1 ? `${g.nodes[0]}: ${g.first}` : `${g.nodes.join(', ')}: ${key}`));
}
