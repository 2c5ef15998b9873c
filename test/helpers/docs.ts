/**
 * The project's Markdown as the docs tests read it: README.md and every page of docs/, their
 * fenced blocks (with the info string and the comment line just above), their links and their
 * headings' anchors as GitHub makes them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Page {
  /** path from the repository's root, e.g. `docs/commands.md` */
  path: string;
  text: string;
}

export interface Fence {
  page: string;
  /** 1-based line of the opening fence */
  line: number;
  /** what follows the backticks: `console`, `console lab`, `yaml`, ... */
  info: string;
  body: string[];
  /** the last non-blank line before the fence (an HTML comment can say how to check it) */
  before: string;
}

export function pages(root = '.'): Page[] {
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs].map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

export function fences(page: Page): Fence[] {
  const lines = page.text.split('\n');
  const out: Fence[] = [];
  let open: Fence | undefined;
  lines.forEach((l, i) => {
    if (open) {
      if (/^```\s*$/.test(l)) {
        out.push(open);
        open = undefined;
      } else open.body.push(l);
      return;
    }
    const m = /^```(.*)$/.exec(l);
    if (!m) return;
    const before = lines.slice(0, i).reverse().find((b) => b.trim() !== '') ?? '';
    open = { page: page.path, line: i + 1, info: m[1].trim(), body: [], before };
  });
  if (open) throw new Error(`${page.path}:${open.line}: a fenced block that never closes`);
  return out;
}

/** The page's text outside fenced blocks and inline code, line numbers kept (code lines blanked). */
export function prose(page: Page): string[] {
  let inFence = false;
  return page.text.split('\n').map((l) => {
    if (/^```/.test(l)) {
      inFence = !inFence;
      return '';
    }
    return inFence ? '' : l.replace(/`[^`]*`/g, '``');
  });
}

export interface Link {
  page: string;
  line: number;
  target: string;
}

/** Every Markdown link and image target of the page's prose (inline form), with its line. */
export function links(page: Page): Link[] {
  const out: Link[] = [];
  prose(page).forEach((l, i) => {
    for (const m of l.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ page: page.path, line: i + 1, target: m[1] });
  });
  return out;
}

/** The anchors GitHub gives the page's headings: lowercased, punctuation dropped, spaces to -, repeats numbered. */
export function anchors(page: Page): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let inFence = false;
  for (const l of page.text.split('\n')) {
    if (/^```/.test(l)) inFence = !inFence;
    const m = inFence ? null : /^#{1,6}\s+(.*?)\s*$/.exec(l);
    if (!m) continue;
    const text = m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}
