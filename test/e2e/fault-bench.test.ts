/**
 * The fault suite of the bench (bench/faults.ts), one round, on a lab of the default topology.
 * Not its speed (that is `npm run bench`'s to print) but its promises: every fault measured,
 * the agent's death costs no route and no probe, a leaf's FRR restart heals without a
 * ping-sweep, a server's uplink going down withdraws its /32s and coming up relearns them.
 * @needs-root builds a lab of the default topology and runs the fault bench in it; run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { LABS, ownCopy } from '../../bench/lib/labs.js';
import { guardLab } from '../helpers/lab.js';
import { cldemo } from '../lab/helpers.js';

jest.setTimeout(900_000);

interface Row {
  fault: string;
  n: number;
  loss: number[];
  toGreen: number[];
  withdrawn?: number[];
  relearned?: number[];
  notes: string[];
}

const root = process.getuid?.() === 0;
const describeLab = root ? describe : describe.skip;
if (!root) console.log('test/e2e/fault-bench.test.ts skipped: needs root to build the lab');

describeLab('the fault suite, one round', () => {
  guardLab(LABS.tflt.name); // removed should jest be killed first
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-fault-bench-'));
  const topology = ownCopy(LABS.tflt, dir);
  const jsonFile = join(dir, 'faults.json');
  let rows: Row[] = [];
  let stdout = '';
  let status: number | null = null;

  beforeAll(() => {
    cldemo(['lab', 'down', '-t', topology]);
    for (const step of [['lab', 'up', '--no-install'], ['up'], ['ping-sweep'], ['verify-routes', '--wait', '60']]) {
      const r = cldemo([...step, '-t', topology], 300_000);
      if (r.code !== 0) throw new Error(`${step.join(' ')}: ${r.stderr}`);
    }
    const r = spawnSync(process.execPath, ['dist/bench/faults.js', '-t', topology, '--rounds', '1', '--json', jsonFile], { encoding: 'utf8', timeout: 600_000 });
    status = r.status;
    stdout = r.stdout;
    rows = (JSON.parse(readFileSync(jsonFile, 'utf8')) as { rows: Row[] }).rows;
  });

  afterAll(() => {
    cldemo(['lab', 'down', '-t', topology]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('every fault and repair measured once, and a fault table printed', () => {
    expect(status).toBe(0);
    expect(stdout).toMatch(/^fault\s+n\s+loss median \/ p95\s+to green median \/ p95\s+target\s+met/m);
    expect(rows.map((r) => r.fault.replace(/ \(.*\)/, ''))).toEqual([
      'spine link down',
      'spine link back up',
      'spine FRR stopped',
      'spine FRR started',
      'leaf FRR restarted',
      'agent SIGKILLed, then up',
      'dockerd restarted',
      'server uplink down/up',
    ]);
    for (const r of rows) {
      expect([r.fault, r.n, r.loss.every((x) => Number.isFinite(x) && x >= 0)]).toEqual([r.fault, 1, true]);
      for (const g of r.toGreen) expect(g).toBeGreaterThan(0);
    }
  });

  test('the agent SIGKILLed: its routes stay, not one probe lost', () => {
    expect(rows.find((r) => r.fault.startsWith('agent SIGKILLed'))!.loss).toEqual([0]);
  });

  test("a leaf's FRR restart heals without a ping-sweep", () => {
    expect(rows.find((r) => r.fault.startsWith('leaf FRR restarted'))!.notes).not.toContain('needed a ping-sweep');
  });

  test("a server's uplink down withdraws its /32s everywhere and up relearns them", () => {
    const uplink = rows.find((r) => r.fault.startsWith('server uplink'))!;
    expect(uplink.withdrawn).toHaveLength(1);
    expect(uplink.relearned).toHaveLength(1);
    expect(uplink.relearned!.every(Number.isFinite)).toBe(true);
  });
});
