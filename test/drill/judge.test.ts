/**
 * Judging a drill, pure: a check held in its time or not; a loss-window expectation against
 * the flows it names (every one must have answered again by the end); green within its time;
 * and `drill --judge`, which judges a recorded run again against changed limits: tightened
 * past what was measured, the same run fails, naming the expectation and what was measured.
 */
import { judgeCheck, judgeExpectation, checkFailure } from '../../src/drill/judge.js';
import { loadDrill } from '../../src/drill/load.js';
import { rejudge } from '../../src/drill/rejudge.js';
import type { DrillReport } from '../../src/drill/run.js';
import type { FlowReport, MeasureResult } from '../../src/measure/index.js';
import { loadPlanSync } from '../../src/providers.js';

const plan = loadPlanSync('test/e2e/fixtures/drills.yaml');

function flow(id: string, to: Partial<FlowReport['to']>, windowMs: number, recovered = true): FlowReport {
  return {
    id,
    kind: id.endsWith('http') ? 'http' : 'icmp',
    from: { node: 'leaf01', role: 'leaf', address: '10.0.0.11', leaf: 'leaf01' },
    to: { container: 'server04-172.16.1.41', ip: '172.16.1.41', server: 'server04', leaf: 'leaf04', ...to },
    sent: 100,
    lost: windowMs ? Math.ceil(windowMs / 100) : 0,
    loss_window_ms: windowMs,
    recovered,
    windows: [],
    restarts: 0,
  };
}
const measure = (flows: FlowReport[]) => ({ flows }) as Pick<MeasureResult, 'flows'>;

describe('a check', () => {
  const routes = { kind: 'routes' as const, text: 'routes absent x', within: 4, on: ['spine01'], present: [], absent: ['172.16.1.41/32'], line: 9 };
  test('holds when an attempt that began within its time held', () => {
    expect(judgeCheck(routes, { held: true, took_ms: 2800 })).toBe(true);
    expect(judgeCheck(routes, { held: true, took_ms: 4100 })).toBe(false);
    expect(judgeCheck(routes, { held: false, took_ms: null, detail: 'spine01 still holds 172.16.1.41/32' })).toBe(false);
    expect(checkFailure(routes, { held: true, took_ms: 4100 })).toBe('held only after 4.10 s, more than 4 s');
    expect(checkFailure(routes, { held: false, took_ms: null, detail: 'spine01 still holds 172.16.1.41/32' })).toBe('did not hold within 4 s: spine01 still holds 172.16.1.41/32');
  });
});

describe('an expectation', () => {
  const flows = [flow('leaf01 > server04-172.16.1.41 icmp', {}, 900), flow('leaf02 > server01-172.16.1.11 icmp', { container: 'server01-172.16.1.11', server: 'server01', leaf: 'leaf01' }, 0)];
  const lw = (maxMs: number, f = {}) => ({ kind: 'loss_window' as const, maxMs, flows: f, line: 1, text: 't' });
  test('loss window: the longest of the flows it names', () => {
    expect(judgeExpectation(lw(1200), measure(flows), { ok: true, ms: 1 })).toEqual({ ok: true, measured: '0.90 s (leaf01 > server04-172.16.1.41 icmp)' });
    expect(judgeExpectation(lw(800), measure(flows), { ok: true, ms: 1 }).ok).toBe(false);
    expect(judgeExpectation(lw(0, { to: { leaf: 'leaf01' } }), measure(flows), { ok: true, ms: 1 })).toEqual({ ok: true, measured: '0 s (not one of 1 flows lost a probe)' });
    expect(judgeExpectation(lw(0, { kind: 'http' }), measure(flows), { ok: true, ms: 1 })).toEqual({ ok: false, measured: 'no flow of the mesh matches' });
  });
  test('loss window: a flow still losing at the end fails it, whatever its window so far', () => {
    const stuck = [flow('leaf01 > server04-172.16.1.41 icmp', {}, 100, false)];
    expect(judgeExpectation(lw(10_000), measure(stuck), { ok: true, ms: 1 })).toEqual({ ok: false, measured: '1 flow still losing probes at the end (leaf01 > server04-172.16.1.41 icmp)' });
  });
  test('green within its time; never green fails it', () => {
    const g = { kind: 'green' as const, withinMs: 30_000, line: 1, text: 'g' };
    expect(judgeExpectation(g, measure([]), { ok: true, ms: 2100 })).toEqual({ ok: true, measured: '2.10 s' });
    expect(judgeExpectation(g, measure([]), { ok: true, ms: 31_000 }).ok).toBe(false);
    expect(judgeExpectation(g, measure([]), { ok: false, ms: null, failed: 'routes on spine01' })).toEqual({ ok: false, measured: 'not green (routes on spine01)' });
  });
});

describe('drill --judge: a recorded run against changed limits', () => {
  const text = (limit: number, within: number) => `name: hung
steps:
  - node: spine01 hang
  - routes: { present: [server04], on: [leaf01] }
    within: ${within}
  - node: spine01 up
expect:
  - loss_window: { max: ${limit} }
    message: a hung spine costs at most ${limit} s
  - green: { within: 30 }
`;
  const recorded: DrillReport = {
    drill: 'hung', file: 'hung.yaml', topology: 'drills', ok: true, failed: [],
    steps: [
      { line: 3, step: 'node spine01 hang', kind: 'action', ok: true, ms: 300 },
      { line: 4, step: 'routes ...', kind: 'check', ok: true, ms: 1200, took_ms: 1100, within_s: 3 },
      { line: 6, step: 'node spine01 up', kind: 'action', ok: true, ms: 400 },
    ],
    expectations: [
      { line: 8, expect: 'loss window at most 1.2 s', ok: true, measured: '0.95 s' },
      { line: 10, expect: 'green again within 30 s', ok: true, measured: '2.50 s' },
    ],
    green: { ok: true, ms: 2500 },
    measure: { flows: [flow('leaf01 > server04-172.16.1.41 icmp', {}, 950)] } as MeasureResult,
  };
  test('the limits it was run with: it holds', () => {
    const r = rejudge(loadDrill('hung.yaml', plan, text(1.2, 3)), recorded);
    expect([r.ok, r.failed]).toEqual([true, []]);
  });
  test('tightened past what was measured: it fails, naming the expectation and the check, with what was measured', () => {
    const r = rejudge(loadDrill('hung.yaml', plan, text(0.5, 1)), recorded);
    expect(r.ok).toBe(false);
    expect(r.failed).toEqual([
      'hung.yaml:4: routes present 172.16.1.41/32 172.16.1.42/32 172.16.1.43/32 on leaf01 within 1 s: held only after 1.10 s, more than 1 s',
      'hung.yaml:8: a hung spine costs at most 0.5 s: measured 0.95 s (leaf01 > server04-172.16.1.41 icmp)',
    ]);
  });
  test('a report of another drill is refused (exit 2)', () => {
    const other = loadDrill('other.yaml', plan, 'steps:\n  - wait: 1\n');
    expect(() => rejudge(other, recorded)).toThrow(/the report is of another drill/);
  });
});
