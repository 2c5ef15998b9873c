/**
 * The fabric as one self-contained HTML page: cytoscape (vendored from npm into
 * dist/vendor by the build), the page's own script and style, and the graph as JSON, all
 * inline. Opened from a file it draws the topology; served by `graph --serve` it is live.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationError } from '../errors.js';
import type { StatusReport } from '../fabric/observe/formats.js';
import type { FabricGraph } from './model.js';
import { ROLE_COLOURS } from './text.js';

// src/graph and dist/graph both sit two levels below the package root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VENDOR = join(ROOT, 'dist', 'vendor');
const PAGE = join(ROOT, 'assets', 'graph');

function asset(dir: string, name: string): string {
  const file = join(dir, name);
  if (!existsSync(file)) throw new OperationError(`${file} is missing: run npm run build (it vendors the page's libraries)`);
  return readFileSync(file, 'utf8');
}

/** JSON inside a <script> element: nothing in it may close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A script's text must not hold `</script`; minified libraries can carry it inside strings. */
function inlineScript(code: string): string {
  return `<script>${code.replace(/<\/script/gi, '<\\/script')}</script>`;
}

export interface PageOptions {
  live: boolean;
  status?: StatusReport;
}

export function toHtml(graph: FabricGraph, opts: PageOptions): string {
  const data = { graph, live: opts.live, status: opts.status, colours: ROLE_COLOURS };
  const title = `cldemo: ${graph.name}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${asset(PAGE, 'page.css')}</style>
</head>
<body>
<div id="cy" role="img" aria-label="${escapeHtml(`the fabric ${graph.name}`)}"></div>
<aside>
<h1>${escapeHtml(title)} <span id="mode" class="muted">${opts.live ? 'live (connecting)' : 'snapshot'}</span></h1>
<div id="summary" class="muted">subnet ${escapeHtml(graph.subnet)}</div>
<pre id="problems" class="muted"></pre>
<h2>Links down or impaired</h2>
<ul id="links" class="muted"></ul>
<h2>Nodes</h2>
<table><tbody id="nodes"></tbody></table>
<h2>Events</h2>
<div id="log" class="muted"></div>
</aside>
<script type="application/json" id="fabric-data">${scriptJson(data)}</script>
${inlineScript(asset(VENDOR, 'cytoscape.min.js'))}
${inlineScript(asset(PAGE, 'page.js'))}
</body>
</html>
`;
}
