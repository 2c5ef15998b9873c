/**
 * The views left running, short (bench/views-soak.ts for 2.7 minutes on a lab of its own):
 * `events --json` and `graph --serve`'s live stream stay live through a quiet stretch longer
 * than any idle timeout (129 s on host1's Docker stream), a dockerd restart and killed switch
 * monitors; every die and start is shown once, every lost watch resumed, RSS steady. The
 * 30-minute run is `node dist/bench/views-soak.js` (README). Needs `npm run build`.
 * @needs-root builds a lab (network namespaces, FRR, dockerd); run under the lab lock
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABS } from '../../bench/lib/labs.js';
import type { SoakReport } from '../../bench/views-soak.js';

test('views soak, 2.7 minutes: nothing missed, nothing twice, every lost watch resumed, RSS within 20 MB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-views-soak-'));
  try {
    const file = join(dir, 'soak.json');
    const run = spawnSync(process.execPath, ['dist/bench/views-soak.js', '--lab', LABS.vsoak.name, '--quick', '--port', String(18600 + (process.pid % 300)), '--json', file], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    const r = JSON.parse(readFileSync(file, 'utf8')) as SoakReport;
    expect({ failures: r.failures, status: run.status }).toEqual({ failures: [], status: 0 });
    expect(r.cycles).toBe(2);
    expect(r.disruptions).toHaveLength(2);
    // the bench's own 2 stops and 2 starts, and the starts after the dockerd restart
    expect(r.expected).toBeGreaterThanOrEqual(4);
    for (const v of [r.events, r.page]) {
      expect(v.matched).toBe(r.expected);
      expect(v.watch_lost).toBeGreaterThanOrEqual(2); // the restarted server and the leaf
      expect(v.watch_resumed).toBe(v.watch_lost);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 620_000);
