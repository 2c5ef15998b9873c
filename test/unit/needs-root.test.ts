/**
 * Every suite that builds a lab or namespaces carries the needs-root line in its docblock, so that
 * jest.config.js skips it (with one line saying why) for anyone but root and for
 * `npm run test:unit`, which must never build a lab outside the lab lock.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The docblock line jest.config.js looks for. */
const NEEDS_ROOT = /^\s*\*\s*@needs-root\s+\S/m;

/** What only root can do: build a lab, or make namespaces, mounts or links. */
const ROOT_ONLY = [
  /\blabUp\(/,
  /'lab',\s*'up'/,
  /\b(spawn|spawnSync|execFile|execFileSync)\(\s*'(unshare|nsenter|mount)'/,
  /ip netns (add|exec)|'netns',\s*'(add|exec)'/,
  /SshDockerNode|startScratchEngine/,
  /bench\/run\.js|dist\/bench\/run/,
];

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

test('a suite that does what only root can says @needs-root', () => {
  // this file names the patterns it looks for
  const unmarked = testFiles('test').filter((f) => f !== join('test', 'unit', 'needs-root.test.ts')).filter((f) => {
    const text = readFileSync(f, 'utf8');
    return !NEEDS_ROOT.test(text.slice(0, 2000)) && ROOT_ONLY.some((re) => re.test(text));
  });
  expect(unmarked).toEqual([]);
});
