/** The soak's memory figure for one process: its first ten minute samples against its last ten. */
import { rssTrend, type MinuteSample, type ProcSample } from '../../bench/soak.js';

const proc = (node: string, pid: number, mb: number, fds = 27): ProcSample => ({ node, pid, rssKb: mb * 1024, fds, cpuS: 0 });
const minute = (i: number, agents: ProcSample[]): MinuteSample => ({ at: i * 60_000, load1: 1, agents, dockerds: [], events: {}, violations: 0 });

describe('rssTrend', () => {
  it('a heap that warms up and then saws between collections does not grow; one that keeps climbing does', () => {
    // leaf01: 53 MB at start, 60-66 MB sawtooth from minute 3 on; leaf02: +0.5 MB a minute all along
    const saw = [53, 58, 61, ...Array.from({ length: 57 }, (_, i) => 60 + ((i * 3) % 7))];
    const samples = saw.map((mb, i) => minute(i, [proc('leaf01', 100, mb), proc('leaf02', 200, 53 + i / 2, i > 30 ? 28 : 27)]));
    const [a, b] = rssTrend(samples, 'agents');
    expect(a).toMatchObject({ node: 'leaf01', pid: 100, samples: 60, firstMb: 53, maxMb: 66 });
    expect(a.lateMedianMb - a.earlyMedianMb).toBeLessThan(2);
    expect(a.lastMb - a.firstMb).toBeGreaterThan(5); // what first-to-last would have said
    expect(b.lateMedianMb - b.earlyMedianMb).toBeCloseTo(25, 0);
    expect([b.fdsFirst, b.fdsLast]).toEqual([27, 28]);
  });

  it('a restarted process is a new life, and one of fewer than 20 samples is left out', () => {
    const samples = Array.from({ length: 40 }, (_, i) => minute(i, [proc('leaf02', i < 25 ? 200 : 300, 55)]));
    expect(rssTrend(samples, 'agents').map((t) => [t.pid, t.samples])).toEqual([[200, 25]]);
  });
});
