/**
 * The scale-by-nodes scenario in its smoke form (`node dist/bench/run.js --smoke --only 8`):
 * 14 nodes on the lab, then the same lab as provider external through delaying relays.
 * Checks that it ran, that every figure is a real number and that the relayed run really
 * went through the relays (every node reached through its own), never how fast anything
 * was (speed is for `npm run bench` to print, not for tests).
 * Needs root and `npm run build` (npm test builds first).
 * @needs-root runs the bench's scale-by-nodes scenario on a small lab; run under the lab lock
 */
import { runBenchJson, type BenchRun } from './bench-run.js';

interface Figure {
  id: string;
  n: number;
  value: number | null;
  error?: string;
  signed?: boolean;
}

interface Report {
  mode: string;
  figures: Figure[];
  errors: string[];
  scenarios: { nodes?: { nodes: number; relayed: { step: string; parallel: number; ok: boolean; connections: { total: number; max: number } }[]; shares: Record<string, { cpuMs: number; maxRssKb: number; connects: Record<string, number> } | undefined> } };
}

describe('bench scenario 8 (scale by nodes), smoke run', () => {
  let run: BenchRun<unknown>['run'];
  let report: Report;

  beforeAll(() => {
    ({ run, report: report } = runBenchJson<Report>('dist/bench/run.js', ['--smoke', '--only', '8'], 900_000));
  }, 910_000);

  it('runs without a failure and prints the table', () => {
    expect({ status: run.status, errors: report.errors, failed: report.figures.filter((f) => f.error) }).toEqual({ status: 0, errors: [], failed: [] });
    expect(String(run.stdout)).toMatch(/^scenario\s+figure\s+n\s+median\s+p95\s+target\s+met$/m);
  });

  it('gives every figure of the lab, the laptop and the relayed links as a finite number', () => {
    const ids = report.figures.map((f) => f.id);
    for (const id of ['nodes.lab_up', 'nodes.up', 'nodes.up_second', 'nodes.status', 'nodes.verify', 'nodes.events', 'nodes.up_floor_ratio', 'nodes.routes_after_up', 'nodes.own.up.cpu_per_node', 'nodes.own.status.rss', 'nodes.own.up_second.connections_per_node', 'nodes.mem.spine', 'nodes.mem.leaf', 'nodes.mem.server']) {
      expect(ids).toContain(id);
    }
    expect(ids.filter((id) => id.startsWith('nodes.relay.'))).toHaveLength(3);
    const bad = report.figures.filter((f) => typeof f.value !== 'number' || !Number.isFinite(f.value) || (!f.signed && f.value < 0));
    expect(bad).toEqual([]);
  });

  it('reaches every node through its own relay over the delayed links, and weighs each command from inside', () => {
    const s = report.scenarios.nodes!;
    const relayed = s.relayed.filter((r) => r.step !== 'verify'); // verify-routes reaches the switches alone
    expect(relayed.map((r) => r.step).sort()).toEqual(['status', 'up_second']);
    for (const r of relayed) expect(r.connections.total).toBeGreaterThanOrEqual(s.nodes);
    for (const k of ['up', 'up_second', 'status', 'verify', 'events']) {
      const share = s.shares[k];
      expect(share && share.cpuMs > 0 && share.maxRssKb > 0).toBe(true);
      expect(Object.keys(share!.connects).length).toBeGreaterThan(0);
    }
  });
});
