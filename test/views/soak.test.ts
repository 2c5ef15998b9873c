/**
 * The views left running, short (bench/views-soak.ts --quick on a lab of its own, about 2.7
 * minutes of soak): `events --json` and `graph --serve`'s live stream stay live through a quiet
 * stretch longer than Docker's 120 s idle timeout (at least 129 s without an event on host1's
 * Docker stream), a dockerd restart and killed switch monitors. What an operator must see:
 * every die and start once; `watch lost` for the two nodes disrupted and for no other (the
 * quiet stream must not end by itself), each followed by `watch resumed`; RSS steady. The
 * 30-minute run is `node dist/bench/views-soak.js` (docs/benchmarks.md). Needs `npm run build`.
 * @needs-root builds a lab (network namespaces, FRR, dockerd); run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABS } from '../../bench/lib/labs.js';
import type { SoakReport } from '../../bench/views-soak.js';

test('views soak, 2.7 minutes: nothing missed, nothing twice, watch lost for exactly the disrupted nodes and resumed, RSS within 20 MB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-views-soak-'));
  try {
    const file = join(dir, 'soak.json');
    // generous: the lab's build and the soak's own 2.7 minutes take 4-5 minutes on an idle machine
    const run = spawnSync(process.execPath, ['dist/bench/views-soak.js', '--lab', LABS.vsoak.name, '--quick', '--port', String(18600 + (process.pid % 300)), '--json', file], {
      encoding: 'utf8',
      timeout: 1_100_000,
    });
    if (!existsSync(file)) throw new Error(`views-soak wrote no report (exit ${run.status}, signal ${run.signal}): ${(run.stderr ?? '').slice(-2000)}`);
    const r = JSON.parse(readFileSync(file, 'utf8')) as SoakReport;
    expect({ failures: r.failures, status: run.status }).toEqual({ failures: [], status: 0 });
    expect(r.cycles).toBe(2);
    // the quiet this is here to prove: longer than the 120 s that used to end a Docker stream
    expect(r.quiet.seconds).toBeGreaterThan(120);
    // a server's dockerd and a leaf's monitors, one per view, found by the command line the views run
    expect(r.disrupted_nodes).toEqual(['host2', 'leaf1']);
    expect(r.monitors_killed).toBe(2);
    // the bench's own 2 stops and 2 starts, and the starts after the dockerd restart
    expect(r.expected).toBeGreaterThanOrEqual(4);
    for (const v of [r.events, r.page]) {
      expect(v.matched).toBe(r.expected);
      expect(v.duplicates).toEqual([]);
      // lost once each: the restarted server and the leaf, none for the quiet host1 or anyone else
      expect({ lost: v.watch_lost, nodes: v.lost_nodes }).toEqual({ lost: 2, nodes: r.disrupted_nodes });
      expect(v.watch_resumed).toBe(v.watch_lost);
      expect(v.not_resumed).toEqual([]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 1_200_000);
