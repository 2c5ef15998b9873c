/**
 * The soak (bench/soak.ts) in its short form: two minutes on a lab of the default topology,
 * every kind of event scheduled so each comes at least once (containers stopped and started
 * every 2 s, a fabric link pulled and plugged back, an agent SIGKILLed and started again, a
 * dockerd restarted, a stray route put into a leaf's agent table), while the checker counts
 * what the fabric got wrong. Not how fast (the bench prints that): that nothing was wrong. CI
 * shares its machine, so each deadline gets 3 s beyond holdtime + 2 s (--slack 3): a /32 left
 * behind, a stray the agent keeps, a leaf that stops installing routes still fail it.
 * @needs-root builds a lab of the default topology and churns it; run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { LABS, ownCopy } from '../../bench/lib/labs.js';
import type { SoakResult } from '../../bench/soak.js';
import { guardLab } from '../helpers/lab.js';
import { cldemo } from '../lab/helpers.js';

jest.setTimeout(1_200_000);

const root = process.getuid?.() === 0;
const describeLab = root ? describe : describe.skip;
if (!root) console.log('test/bench/soak.test.ts skipped: needs root to build the lab');

describeLab('the soak, two minutes of every kind of churn', () => {
  guardLab(LABS.tsoak.name); // removed should jest be killed first
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-soak-'));
  const topology = ownCopy(LABS.tsoak, dir);
  const jsonFile = join(dir, 'soak.json');
  let result: SoakResult;
  let status: number | null = null;
  let stdout = '';

  beforeAll(() => {
    cldemo(['lab', 'down', '-t', topology]);
    for (const step of [['lab', 'up', '--no-install'], ['up'], ['verify-routes', '--wait', '60']]) {
      const r = cldemo([...step, '-t', topology], 300_000);
      if (r.code !== 0) throw new Error(`${step.join(' ')}: ${r.stderr}`);
    }
    const r = spawnSync(process.execPath, ['dist/bench/soak.js', '-t', topology, '--minutes', '2', '--quick', '--slack', '3', '--json', jsonFile], { encoding: 'utf8', timeout: 900_000 });
    status = r.status;
    stdout = r.stdout;
    result = JSON.parse(readFileSync(jsonFile, 'utf8')) as SoakResult;
  });

  afterAll(() => {
    cldemo(['lab', 'down', '-t', topology]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('every kind of event happened at least once', () => {
    for (const kind of ['churn-stop', 'churn-start', 'link-down', 'link-up', 'agent-kill', 'agent-start', 'dockerd-restart', 'stray']) {
      expect({ kind, n: result.events[kind] ?? 0 }).toEqual({ kind, n: expect.any(Number) });
      expect(result.events[kind]).toBeGreaterThan(0);
    }
  });

  test('the checker saw nothing wrong: no /32 missing or stale past its deadline, no stray left, nothing lost to the checker', () => {
    // each with what the soak did and saw around it, so that a failure in CI explains itself
    expect(result.violations.map((v) => [`${v.kind} ${v.switch} ${v.ip}: ${v.seen}`, ...v.recent.map((r) => `  ${r}`)].join('\n'))).toEqual([]);
    expect(result.byKind).toEqual({ missing: 0, stale: 0, stray: 0 });
    expect(result.problems).toEqual([]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^violations: missing 0, stale 0, stray 0 \(total 0\)$/m);
  });

  test("each leaf's agent and each server's dockerd were sampled, first and last", () => {
    const [first, last] = [result.samples[0], result.samples.at(-1)!];
    expect(result.samples.length).toBeGreaterThanOrEqual(3);
    for (const s of [first, last]) {
      expect(s.agents.map((a) => a.node).sort()).toEqual(['leaf01', 'leaf02', 'leaf03', 'leaf04']);
      expect(s.dockerds.map((a) => a.node).sort()).toEqual(['server01', 'server02', 'server03', 'server04']);
      for (const p of [...s.agents, ...s.dockerds]) expect(p.rssKb > 0 && p.fds > 0).toBe(true);
    }
  });
});
