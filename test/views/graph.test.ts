/** graph: Mermaid and dot are pure text from the plan; dot must render cleanly in Graphviz; the page is self-contained. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadPlanSync } from '../../src/providers.js';
import { fabricGraph } from '../../src/graph/model.js';
import { toDot, toMermaid } from '../../src/graph/text.js';
import { toHtml } from '../../src/graph/html.js';

const plan = loadPlanSync('topology.yaml');
const graph = fabricGraph(plan);
const hasDot = spawnSync('dot', ['-V']).status === 0;

describe('graph', () => {
  test('mermaid of the default topology matches its golden file (a stable format)', () => {
    const golden = 'test/views/fixtures/default.mmd';
    const text = toMermaid(graph);
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  test('mermaid names every switch and server, and every link with both ports', () => {
    const text = toMermaid(graph);
    for (const n of [...plan.switches, ...plan.servers]) expect(text).toContain(`["${n.name}<br/>`);
    for (const s of plan.switches) expect(text).toContain(`AS ${s.asn}<br/>lo ${s.loopback}`);
    for (const l of plan.links) expect(text).toContain(`|"${l.a.port} - ${l.b.port}"|`);
    expect(text).toContain('3 containers');
  });

  test('odd node names become safe Mermaid ids and quoted dot names', () => {
    const g = { name: 'x"y', subnet: '10.0.0.0/24', nodes: [{ id: 'a.b-c', role: 'leaf' as const, name: 'a.b-c', details: ['say "hi"'] }], edges: [] };
    expect(toMermaid(g)).toContain('n0_a_b_c["a.b-c<br/>say #quot;hi#quot;"]');
    expect(toDot(g)).toContain('"a.b-c" [label="a.b-c\\nsay \\"hi\\""');
  });

  (hasDot ? test : test.skip)('dot renders with Graphviz dot -Tsvg, no warnings', () => {
    const r = spawnSync('dot', ['-Tsvg'], { input: toDot(graph), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const n of [...plan.switches, ...plan.servers]) expect(r.stdout).toContain(`>${n.name}</text>`);
    expect(r.stdout).toContain('>swp51</text>');
  });
  if (!hasDot) test('dot rendering skipped: Graphviz dot is not installed (scripts/setup.sh installs graphviz)', () => undefined);

  test('the HTML page is one file: no external script, style or fetch, and the whole graph inline', () => {
    const html = toHtml(graph, { live: false });
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/\b(src|href)=["']?https?:/i);
    expect(html).toContain('cytoscape');
    const data = JSON.parse(html.match(/<script type="application\/json" id="fabric-data">(.*?)<\/script>/s)![1]);
    expect(data.graph.nodes.map((n: { id: string }) => n.id)).toEqual([...plan.switches, ...plan.servers].map((n) => n.name).concat(plan.containers.map((c) => c.name)));
    expect(data.live).toBe(false);
  });
});
