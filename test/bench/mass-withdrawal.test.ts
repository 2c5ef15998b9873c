/**
 * Scenario 9 (mass withdrawal) in its smoke form: `node dist/bench/mass-withdrawal.js --smoke`
 * builds a tiny lab of its own, stops every container at once, measures each /32's withdrawal
 * from its container's own die event, and takes the lab down. Checks that it ran and that its
 * figures are real numbers with the target holdtime + 2 s, never how fast anything was.
 * Needs root and `npm run build` (npm test builds first).
 * @needs-root runs the mass-withdrawal bench on a tiny lab; run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { runBenchJson, type BenchRun } from './bench-run.js';

interface Figure {
  id: string;
  n: number;
  value: number | null;
  p95?: number;
  target?: number;
  met?: boolean;
  error?: string;
}

interface Result {
  containers: number;
  holdtime_s: number;
  target_ms: number;
  figures: Figure[];
  error?: string;
}

describe('bench scenario 9, mass withdrawal, smoke run', () => {
  let run: BenchRun<unknown>['run'];
  let result: Result;

  beforeAll(() => {
    ({ run, report: result } = runBenchJson<Result>('dist/bench/mass-withdrawal.js', ['--smoke'], 600_000));
  }, 610_000);

  it('stops every container at once and measures each /32 from its own die event, against holdtime + 2 s', () => {
    expect({ status: run.status, error: result.error, failed: result.figures.filter((f) => f.error).map((f) => f.id) }).toEqual({ status: 0, error: undefined, failed: [] });
    expect(result.containers).toBe(4);
    expect(result.target_ms).toBe(result.holdtime_s * 1000 + 2000);
    const fromExit = result.figures.find((f) => f.id === 'mass.withdraw_from_exit');
    expect(fromExit).toMatchObject({ n: 4, target: result.target_ms });
    expect(Number.isFinite(fromExit!.value) && fromExit!.value! > 0 && Number.isFinite(fromExit!.p95)).toBe(true);
    expect(typeof fromExit!.met).toBe('boolean');
    expect(String(run.stdout)).toMatch(/^container exit -> \/32 gone from every switch .* target p95 <= \d+\.\d\d s: (met|NOT met)$/m);
  });

  it('leaves no lab behind', () => {
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith('cldemo-bsmk9-'));
    expect(left).toEqual([]);
  });
});
