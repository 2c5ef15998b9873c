/**
 * Every file in test/fixtures/bad is a broken topology with its exact expected stderr and
 * exit code beside it (NAME.expected: first line `exit N`, then stderr). Regenerate with
 * UPDATE_GOLDEN=1 after a deliberate change of wording.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, runCliBatch } from '../helpers/cli.js';

const dir = 'test/fixtures/bad';
const cases = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
// the corpus runs through the real CLI's main(), in one process: one node start-up, not one per file
const results = new Map(runCliBatch(cases.map((f) => ['validate', '-t', join(dir, f)])).map((r, i) => [cases[i], r]));

describe('bad topologies', () => {
  it('has a corpus of at least 15 broken files', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases)('%s: exact message and exit code', (file) => {
    const r = results.get(file)!;
    const actual = `exit ${r.code}\n${r.stderr.trimEnd()}\n`;
    const expectedFile = join(dir, file.replace(/\.yaml$/, '.expected'));
    if (process.env.UPDATE_GOLDEN) writeFileSync(expectedFile, actual);
    expect(actual).toBe(readFileSync(expectedFile, 'utf8'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace for bad input
  });

  it('--json reports the same problems as a document on stdout', () => {
    const r = runCli(['validate', '--json', '-t', join(dir, 'multiple-problems.yaml')]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.problems.map((p: { line: number }) => p.line)).toEqual([25, 48, 61]);
    expect(doc.problems[1].message).toContain('10.1.1.1');
  });

  it('--debug adds the stack trace', () => {
    const r = runCli(['validate', '--debug', '-t', join(dir, 'gateway-as-container.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TopologyError/);
  });
});
