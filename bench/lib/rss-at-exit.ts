/**
 * Preloaded into a cldemo run (`node --import .../rss-at-exit.js bin/cldemo.js ...`): at exit,
 * writes the process's peak RSS and CPU time to $CLDEMO_RSS_FILE, so a bench can weigh a
 * command exactly as a user runs it, without a second process sampling it.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.CLDEMO_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
  });
}
