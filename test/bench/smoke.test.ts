/**
 * The bench suite in its smoke form (`node dist/bench/run.js --smoke`): scenarios 1-7 on a tiny
 * lab, so the suite cannot rot (scenario 8's smoke run is nodes.test.ts, scenario 9's mass-withdrawal.test.ts). Checks that it ran and that every figure is a real number,
 * never how fast anything was (speed is for `npm run bench` to print, not for tests).
 * Needs root and `npm run build` (npm test builds first).
 * @needs-root runs the bench suite on a tiny lab; run under the lab lock
 */
import { runBenchJson, type BenchRun } from './bench-run.js';

interface Figure {
  id: string;
  scenario: string;
  name: string;
  unit: string;
  n: number;
  value: number | null;
  median?: number;
  p95?: number;
  error?: string;
  signed?: boolean;
  below_zero?: string;
  min?: number;
}

interface Report {
  mode: string;
  machine: { cores: number; memory_gib: number };
  versions: Record<string, string>;
  figures: Figure[];
  errors: string[];
}

const positive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;

describe('bench suite, smoke run', () => {
  let run: BenchRun<unknown>['run'];
  let report: Report;

  beforeAll(() => {
    ({ run, report: report } = runBenchJson<Report>('dist/bench/run.js', ['--smoke', '--only', '1,2,3,4,5,6,7'], 360_000));
  }, 370_000);

  it('runs every scenario without a failure and prints one table', () => {
    expect({ status: run.status, errors: report.errors, failed: report.figures.filter((f) => f.error) }).toEqual({ status: 0, errors: [], failed: [] });
    expect(report.mode).toBe('smoke');
    expect(String(run.stdout)).toMatch(/^scenario\s+figure\s+n\s+median\s+p95\s+target\s+met$/m);
    const prefixes = new Set(report.figures.map((f) => f.id.split('.')[0]));
    expect([...prefixes].sort()).toEqual(['convergence', 'default', 'docker_api', 'growth', 'large', 'scale']);
  });

  it('gives every figure (its median, p95 and min where repeated) as a finite number, never below zero unless signed with its meaning', () => {
    // a signed figure (one observer's event time minus another's, where the second can come
    // first) says what below zero means; any other cannot be negative by its definition
    const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
    const ok = (f: Figure, x: unknown) => finite(x) && (f.signed ? (f.below_zero ?? '').length > 20 : (x as number) >= 0);
    const bad = report.figures.filter((f) => !ok(f, f.value) || !(f.n >= 1) || (f.n > 1 && (!ok(f, f.median) || !ok(f, f.p95) || !ok(f, f.min))));
    expect(bad).toEqual([]);
    expect(report.figures.length).toBeGreaterThanOrEqual(30);
  });

  it('records the machine and the versions the numbers came from', () => {
    expect(positive(report.machine.cores) && positive(report.machine.memory_gib)).toBe(true);
    for (const key of ['cldemo', 'node', 'frr', 'docker', 'kernel']) expect(report.versions[key]).toMatch(/\d/);
  });
});
