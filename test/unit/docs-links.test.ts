/**
 * The README and docs/ hold together: every relative link (and image) points at a file of
 * the checkout, every `#anchor` at a heading of its page, every page of docs/ is linked from
 * the README, and no page names an issue number (the history is in the commit messages).
 */
import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { anchors, links, pages, prose, type Page } from '../helpers/docs.js';

const all = pages();
const byPath = new Map<string, Page>(all.map((p) => [p.path, p]));

describe('docs links', () => {
  test('the pages have links to check', () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.flatMap(links).length).toBeGreaterThanOrEqual(20);
  });

  test('every relative link resolves: the file exists, the #anchor is a heading of it', () => {
    const broken: string[] = [];
    for (const link of all.flatMap(links)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // https:, mailto:
      const [file, anchor] = link.target.split('#', 2);
      const path = file === '' ? link.page : normalize(join(dirname(link.page), decodeURIComponent(file)));
      const where = `${link.page}:${link.line}: ${link.target}`;
      if (!existsSync(path)) {
        broken.push(`${where}: no file ${path}`);
        continue;
      }
      if (anchor === undefined) continue;
      const target = byPath.get(path);
      if (!target) broken.push(`${where}: an anchor into ${path}, which is not a page of README.md or docs/`);
      else if (!anchors(target).has(anchor)) broken.push(`${where}: ${path} has no heading #${anchor} (it has ${[...anchors(target)].join(', ')})`);
    }
    expect(broken).toEqual([]);
  });

  test('the README links every page of docs/', () => {
    const readme = byPath.get('README.md')!;
    const linked = new Set(links(readme).map((l) => normalize(l.target.split('#')[0])));
    const missing = all.filter((p) => p.path.startsWith('docs/') && !linked.has(p.path)).map((p) => p.path);
    expect(missing).toEqual([]);
  });

  test('no page names an issue number', () => {
    const found = all.flatMap((p) =>
      prose(p).flatMap((l, i) => (/(^|[^\w&/])#\d+\b|\bissues?\b/i.test(l) ? [`${p.path}:${i + 1}: ${l.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });
});
