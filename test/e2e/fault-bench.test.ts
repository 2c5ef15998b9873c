/**
 * The fault bench (bench/faults.ts) runs the shipped drills as a user runs them: here two of
 * them, one round, on a lab of the default topology. Not its speed (that is `npm run bench`'s
 * to print) but its promises: every drill measured, held and reported in its table row; the
 * agent's death costs no probe; each drill's run, judged against limits tightened past what it
 * measured, fails with exit 1 naming the line.
 * @needs-root builds a lab of the default topology and runs the fault bench in it; run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { LABS, ownCopy } from '../../bench/lib/labs.js';
import type { DrillRow } from '../../bench/faults.js';
import { guardLab } from '../helpers/lab.js';
import { cldemo } from '../lab/helpers.js';

jest.setTimeout(900_000);

const root = process.getuid?.() === 0;
const describeLab = root ? describe : describe.skip;
if (!root) console.log('test/e2e/fault-bench.test.ts skipped: needs root to build the lab');

describeLab('the fault bench: drills, one round', () => {
  guardLab(LABS.tflt.name); // removed should jest be killed first
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-fault-bench-'));
  const topology = ownCopy(LABS.tflt, dir);
  const jsonFile = join(dir, 'faults.json');
  let rows: DrillRow[] = [];
  let stdout = '';
  let status: number | null = null;

  beforeAll(() => {
    cldemo(['lab', 'down', '-t', topology]);
    for (const step of [['lab', 'up', '--no-install'], ['up'], ['verify-routes', '--wait', '60']]) {
      const r = cldemo([...step, '-t', topology], 300_000);
      if (r.code !== 0) throw new Error(`${step.join(' ')}: ${r.stderr}`);
    }
    const r = spawnSync(process.execPath, ['dist/bench/faults.js', '--plain', topology, '--rounds', '1', '--drills', 'agent-kill,fabric-link', '--json', jsonFile], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    status = r.status;
    stdout = r.stdout;
    rows = (JSON.parse(readFileSync(jsonFile, 'utf8')) as { rows: DrillRow[] }).rows;
  });

  afterAll(() => {
    cldemo(['lab', 'down', '-t', topology]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('each drill asked for ran once on the plain lab, held, and has its row', () => {
    expect(status).toBe(0);
    expect(stdout).toMatch(/^drill\s+lab\s+n\s+loss ICMP median \/ p95\s+loss all median \/ p95\s+to green median \/ p95\s+limit\s+held\s+tightened past measured/m);
    expect(rows.map((r) => [r.drill, r.lab, r.n, r.held])).toEqual([
      ['agent-kill', 'plain', 1, 1],
      ['fabric-link', 'plain', 1, 1],
    ]);
    for (const r of rows) expect(r.toGreen.every((ms) => ms > 0)).toBe(true);
  });

  test('the agent SIGKILLed: not one probe lost', () => {
    expect(rows.find((r) => r.drill === 'agent-kill')!.loss).toEqual([0]);
  });

  test('each run, judged with its limits tightened past what it measured, fails: exit 1, naming the line', () => {
    for (const r of rows) expect({ drill: r.drill, exit: r.tightened?.exit, named: r.tightened?.named.length }).toEqual({ drill: r.drill, exit: 1, named: expect.any(Number) });
    for (const r of rows) expect(r.tightened!.named.length).toBeGreaterThan(0);
  });
});
