/**
 * The fault bench's tightened copy of a drill (bench/lib/tighten.ts): each limit a run can be
 * judged below is set under what that run measured, in place (every line keeps its number,
 * comments and flow maps stay); what cannot go below its figure is left and said. Judged
 * against the run, the copy fails naming exactly the lines tightened.
 */
import { tightenDrill } from '../../bench/lib/tighten.js';
import { loadDrill } from '../../src/drill/load.js';
import { rejudge } from '../../src/drill/rejudge.js';
import type { DrillReport } from '../../src/drill/run.js';
import type { MeasureResult } from '../../src/measure/index.js';
import { loadPlanSync } from '../../src/providers.js';

const plan = loadPlanSync('test/e2e/fixtures/drills.yaml');

const TEXT = `name: churn # a comment stays
steps:
  - exec: { node: server04, command: docker stop server04-172.16.1.41 }
  - routes: { absent: [172.16.1.41] }
    within: 6
    message: withdrawn everywhere
  - routes: { present: [server01] }
  - exec: { node: server04, command: docker start server04-172.16.1.41 }
  - http: { to: server04-172.16.1.41 }
    within: 5
expect:
  - loss_window: { max: 0, to: server01 }
    message: another rack loses nothing
  - loss_window:
      max: 8
      to: server04
  - green: { within: 30 }
`;

const flow = (id: string, server: string, ms: number) => ({
  id,
  kind: 'icmp' as const,
  from: { node: 'leaf02', role: 'leaf' as const, address: '10.0.0.12', leaf: 'leaf02' },
  to: { container: `${server}-x`, ip: '172.16.1.9', server, leaf: server.replace('server', 'leaf') },
  sent: 100,
  lost: Math.ceil(ms / 100),
  loss_window_ms: ms,
  recovered: true,
  windows: [],
  restarts: 0,
});

const run: DrillReport = {
  drill: 'churn', file: 'churn.yaml', topology: 'drills', ok: true, failed: [],
  steps: [
    { line: 3, step: 'exec server04 ...', kind: 'action', ok: true, ms: 1300 },
    { line: 4, step: 'routes absent', kind: 'check', ok: true, ms: 3500, took_ms: 3250, within_s: 6 },
    { line: 7, step: 'routes present', kind: 'check', ok: true, ms: 40, took_ms: 0, within_s: 0 },
    { line: 8, step: 'exec server04 ...', kind: 'action', ok: true, ms: 900 },
    { line: 9, step: 'http', kind: 'check', ok: true, ms: 600, took_ms: 500, within_s: 5 },
  ],
  expectations: [
    { line: 12, expect: 'loss window at most 0 s', ok: true, measured: '0 s (not one of 8 flows lost a probe)' },
    { line: 14, expect: 'loss window at most 8 s', ok: true, measured: '2.40 s (leaf02 > server04-x icmp)' },
    { line: 17, expect: 'green again within 30 s', ok: true, measured: '0.30 s' },
  ],
  green: { ok: true, ms: 300 },
  measure: { flows: [flow('leaf02 > server01-x icmp', 'server01', 0), flow('leaf02 > server04-x icmp', 'server04', 2400)] } as unknown as MeasureResult,
};

describe('a drill tightened past what a run of it measured', () => {
  const t = tightenDrill(TEXT, run);

  test('each limit with a figure above zero is halved in place; lines, comments and flow maps stay', () => {
    expect(t.text.split('\n')).toHaveLength(TEXT.split('\n').length);
    expect(t.text).toContain('name: churn # a comment stays\n');
    expect(t.text).toContain('  - routes: { absent: [172.16.1.41] }\n    within: 1.6250\n');
    expect(t.text).toContain('  - http: { to: server04-172.16.1.41 }\n    within: 0.2500\n');
    expect(t.text).toContain('  - loss_window:\n      max: 1.2000\n      to: server04\n');
    expect(t.text).toContain('  - green: { within: 0.1500 }\n');
    expect(t.lines).toEqual([4, 9, 14, 17]);
  });

  test('what cannot go below its figure is left as it was, and said', () => {
    expect(t.text).toContain('  - loss_window: { max: 0, to: server01 }\n');
    expect(t.left).toEqual(['line 12: loss window: measured 0, nothing below it', 'line 7: check routes present: no within to change']);
  });

  test('judged against the run: the drill as written holds, the tightened copy fails on exactly the lines tightened', () => {
    expect(rejudge(loadDrill('churn.yaml', plan, TEXT), run).failed).toEqual([]);
    const failed = rejudge(loadDrill('churn.yaml', plan, t.text), run).failed;
    expect(failed.map((f) => Number(/^churn\.yaml:(\d+): /.exec(f)?.[1])).sort((a, b) => a - b)).toEqual(t.lines);
  });

  test('a run that never went green leaves green alone', () => {
    const never = tightenDrill(TEXT, { ...run, green: { ok: false, ms: null } });
    expect(never.lines).toEqual([4, 9, 14]);
    expect(never.left).toContain('line 17: green: never green');
  });
});
