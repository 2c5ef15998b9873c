/**
 * The default topology renders byte-for-byte to test/golden/default/<node>/etc/...
 * After an intended template change: UPDATE_GOLDEN=1 <test command>, then review the diff.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderAll, writeRendered } from '../../src/render/index.js';
import { defaultPlan, REPO_ROOT } from './plans.js';

const GOLDEN_DIR = join(REPO_ROOT, 'test', 'golden', 'default');
const rendered = renderAll(defaultPlan());

if (process.env.UPDATE_GOLDEN) {
  rmSync(GOLDEN_DIR, { recursive: true, force: true });
  writeRendered(GOLDEN_DIR, rendered);
}

/** "leaf01/etc/frr/frr.conf" -> rendered text */
const renderedFiles = new Map(
  [...rendered].flatMap(([node, files]) => [...files.values()].map(({ path, text }) => [`${node}${path}`, text] as const)),
);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)))
    .sort();
}

describe('golden files of the default topology', () => {
  test.each([...renderedFiles.keys()])('%s', (file) => {
    expect(renderedFiles.get(file)).toBe(readFileSync(join(GOLDEN_DIR, file), 'utf8'));
  });

  test('every golden file is still rendered (none left over)', () => {
    expect(filesUnder(GOLDEN_DIR)).toEqual([...renderedFiles.keys()].sort());
  });
});
