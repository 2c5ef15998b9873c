/**
 * A newcomer who runs `node bin/cldemo.js` in a fresh clone, before ./scripts/setup.sh: one
 * line saying what to run, exit 2, no stack trace. The starter is copied into a folder of its
 * own, beside no build (and then beside a build whose dependency is missing).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cldemo-not-built-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync('bin/cldemo.js', join(dir, 'bin', 'cldemo.js'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(dir, 'bin', 'cldemo.js'), 'validate'], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('no dist/: one line naming ./scripts/setup.sh and npm run build, exit 2', () => {
  expect(run()).toEqual({ code: 2, stdout: '', stderr: 'error: cldemo is not built yet (no dist/cli.js): run ./scripts/setup.sh (or npm run build)\n' });
});

test('a build whose dependency is not installed: one line naming the package and npm ci, exit 2', () => {
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'dist', 'cli.js'), "import 'cldemo-no-such-package';\nexport async function main() { return 0; }\n");
  const r = run();
  expect(r.code).toBe(2);
  expect(r.stderr).toBe("error: cldemo's build or dependencies are incomplete (Cannot find package 'cldemo-no-such-package'): run ./scripts/setup.sh (or npm ci && npm run build)\n");
});
