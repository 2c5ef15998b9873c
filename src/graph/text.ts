/**
 * The fabric as text for other tools: Mermaid (READMEs, GitHub) and Graphviz dot. Both
 * are stable formats: the same plan gives the same text, byte for byte.
 */
import { withoutContainers, type FabricGraph, type GraphNode, type GraphRole } from './model.js';

export const ROLE_COLOURS: Record<GraphRole, { fill: string; stroke: string }> = {
  spine: { fill: '#dbeafe', stroke: '#1d4ed8' },
  leaf: { fill: '#dcfce7', stroke: '#15803d' },
  server: { fill: '#fef3c7', stroke: '#b45309' },
  container: { fill: '#f3e8ff', stroke: '#7e22ce' },
};

/** Node names may hold '.' and '-'; Mermaid ids get only letters, digits and '_'. */
function mermaidId(name: string, i: number): string {
  return `n${i}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function labelLines(n: GraphNode): string[] {
  return [n.name, ...n.details];
}

export function toMermaid(full: FabricGraph): string {
  const g = withoutContainers(full);
  const ids = new Map(g.nodes.map((n, i) => [n.id, mermaidId(n.id, i)]));
  const out = [`%% cldemo graph: ${g.name}, subnet ${g.subnet}`, 'graph TD'];
  for (const n of g.nodes) out.push(`  ${ids.get(n.id)}["${labelLines(n).map(mermaidText).join('<br/>')}"]`);
  for (const e of g.edges) out.push(`  ${ids.get(e.a)} ---|"${mermaidText(e.aPort)} - ${mermaidText(e.bPort)}"| ${ids.get(e.b)}`);
  for (const role of ['spine', 'leaf', 'server'] as const) {
    const members = g.nodes.filter((n) => n.role === role).map((n) => ids.get(n.id));
    if (!members.length) continue;
    out.push(`  classDef ${role} fill:${ROLE_COLOURS[role].fill},stroke:${ROLE_COLOURS[role].stroke}`);
    out.push(`  class ${members.join(',')} ${role}`);
  }
  return `${out.join('\n')}\n`;
}

/** Mermaid labels are quoted: a double quote becomes its entity, and so do angle brackets. */
function mermaidText(s: string): string {
  return s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

function dotEscape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function dotString(s: string): string {
  return `"${dotEscape(s)}"`;
}

/** Graphviz centres each line of a label ended by the escape \n. */
function dotLines(lines: string[]): string {
  return `"${lines.map(dotEscape).join('\\n')}"`;
}

export function toDot(full: FabricGraph): string {
  const g = withoutContainers(full);
  const out = [
    `graph ${dotString(g.name)} {`,
    `  graph [label=${dotString(`${g.name}: containers in ${g.subnet}`)}, labelloc=t, nodesep=0.5, ranksep=1.1];`,
    '  node [shape=box, style="rounded,filled", fontsize=11];',
    '  edge [fontsize=9, color="#64748b"];',
  ];
  for (const role of ['spine', 'leaf', 'server'] as const) {
    const members = g.nodes.filter((n) => n.role === role);
    if (!members.length) continue;
    out.push(`  { rank=same; ${members.map((n) => dotString(n.id)).join('; ')}; }`);
  }
  for (const n of g.nodes) {
    const c = ROLE_COLOURS[n.role];
    out.push(`  ${dotString(n.id)} [label=${dotLines(labelLines(n))}, fillcolor=${dotString(c.fill)}, color=${dotString(c.stroke)}];`);
  }
  for (const e of g.edges) out.push(`  ${dotString(e.a)} -- ${dotString(e.b)} [taillabel=${dotString(e.aPort)}, headlabel=${dotString(e.bPort)}];`);
  out.push('}');
  return `${out.join('\n')}\n`;
}
