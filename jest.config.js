/**
 * ESM TypeScript through ts-jest; tests import src/*.ts directly.
 *
 * A suite that needs root (namespaces, the lab) says so in its docblock with
 * `@needs-root WHY`. Run by anyone else, or by `npm run test:unit` (CLDEMO_TEST_UNIT=1),
 * those suites are not run, and the summary reporter names each one and why.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// What the suites' runs of cldemo write for themselves stays apart from the user's, whose demo
// lab the README leaves running: the labs' records, keys and lab locks under a state directory
// of the tests' own (not /var/lib/cldemo), the fabric locks under a runtime directory of their
// own (not the user's $XDG_RUNTIME_DIR/cldemo or ~/.cache/cldemo). Set before any worker starts.
const testsDir = join(tmpdir(), `cldemo-tests-${process.getuid?.() ?? 'user'}`);
process.env.CLDEMO_STATE_DIR = testsDir;
process.env.XDG_RUNTIME_DIR = `${testsDir}-run`;
mkdirSync(process.env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });

function testFiles(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

const rootSuites = testFiles('test').flatMap((file) => {
  const m = /^\s*\*\s*@needs-root\s+(.+)$/m.exec(readFileSync(file, 'utf8').slice(0, 2000));
  return m ? [{ file, why: m[1].trim() }] : [];
});
const unitOnly = process.env.CLDEMO_TEST_UNIT === '1';
const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const because = unitOnly ? 'npm run test:unit runs only suites that need neither root nor the lab' : `needs root (this is uid ${process.getuid?.()})`;
const skipped = unitOnly || !isRoot ? rootSuites.map((s) => ({ ...s, why: `${because}: ${s.why}` })) : [];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...skipped.map((s) => `<rootDir>/${escape(s.file)}$`)],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testTimeout: 30000,
  reporters: ['default', ['<rootDir>/test/summary-reporter.cjs', { skipped }]],
};
