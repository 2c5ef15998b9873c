/**
 * A `lab up` killed half-way: `lab down` must still remove exactly what it created, and a
 * new `lab up` must converge instead of tripping over the leftovers.
 * @needs-root builds and crashes a lab (network namespaces, mounts); run under the lab lock
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlan, loadPlanSync } from '../../src/providers.js';
import { guardLab } from '../helpers/lab.js';
import { cldemo, labFootprint } from './helpers.js';

const FILE = 'test/fixtures/topologies/lab-small.yaml';
process.env.CLDEMO_STATE_DIR = mkdtempSync(join(tmpdir(), 'cldemo-lab-crash-'));

guardLab(loadPlanSync(FILE).name); // also on SIGINT/SIGTERM

afterAll(() => {
  cldemo(['lab', 'down', '-t', FILE]);
  rmSync(process.env.CLDEMO_STATE_DIR!, { recursive: true, force: true });
});

/** Starts `lab up` and SIGKILLs it once the first node namespaces exist. */
async function killedUp(whenNetns: number): Promise<number> {
  const plan = await loadPlan(FILE);
  const child = spawn(process.execPath, [process.env.CLDEMO_BIN ?? 'bin/cldemo.js', 'lab', 'up', '-t', FILE], {
    stdio: 'ignore',
    // explicitly: a test's process.env is jest's copy, which child_process would not pass on
    env: { ...process.env },
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(signal ? -1 : (code ?? 0))));
  for (;;) {
    if (labFootprint(plan).netns.length >= whenNetns) child.kill('SIGKILL');
    const done = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(r, 5))]);
    if (done !== undefined) return done;
  }
}

test('lab down after a crash mid-up leaves the host as before', async () => {
  const plan = await loadPlan(FILE);
  const before = labFootprint(plan);
  expect(await killedUp(2)).toBe(-1);
  expect(labFootprint(plan).netns.length).toBeGreaterThan(0);
  expect(cldemo(['lab', 'down', '-t', FILE]).code).toBe(0);
  expect(labFootprint(plan)).toEqual(before);
}, 120_000);

test('lab up after a crash mid-up converges', async () => {
  const plan = await loadPlan(FILE);
  const before = labFootprint(plan);
  expect(await killedUp(4)).toBe(-1);
  const up = cldemo(['lab', 'up', '-t', FILE]);
  expect(up.stderr).not.toMatch(/error/);
  expect(up.code).toBe(0);
  expect(JSON.parse(cldemo(['lab', 'status', '-t', FILE, '--json']).stdout).up).toBe(true);
  expect(cldemo(['lab', 'down', '-t', FILE]).code).toBe(0);
  expect(labFootprint(plan)).toEqual(before);
}, 240_000);
