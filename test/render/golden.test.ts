/**
 * The default topology renders byte-for-byte to test/golden/default/<node>/etc/..., and its
 * dual-stack twin (examples/dual-stack.yaml) to test/golden/dual-stack/<node>/etc/...
 * After an intended template change: UPDATE_GOLDEN=1 <test command>, then review the diff.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderAll, writeRendered } from '../../src/render/index.js';
import { defaultPlan, dualStackPlan, REPO_ROOT } from './plans.js';
import type { Plan } from '../../src/topology/types.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)))
    .sort();
}

describe.each([
  ['default', defaultPlan()],
  ['dual-stack', dualStackPlan()],
])('golden files of the %s topology', (name: string, plan: Plan) => {
  const goldenDir = join(REPO_ROOT, 'test', 'golden', name);
  const rendered = renderAll(plan);
  if (process.env.UPDATE_GOLDEN) {
    rmSync(goldenDir, { recursive: true, force: true });
    writeRendered(goldenDir, rendered);
  }
  /** "leaf01/etc/frr/frr.conf" -> rendered text */
  const renderedFiles = new Map([...rendered].flatMap(([node, files]) => [...files.values()].map(({ path, text }) => [`${node}${path}`, text] as const)));

  test.each([...renderedFiles.keys()])('%s', (file) => {
    expect(renderedFiles.get(file)).toBe(readFileSync(join(goldenDir, file), 'utf8'));
  });

  test('every golden file is still rendered (none left over)', () => {
    expect(filesUnder(goldenDir)).toEqual([...renderedFiles.keys()].sort());
  });
});
