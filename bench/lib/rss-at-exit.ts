/**
 * Preloaded into a cldemo run (`node --import .../rss-at-exit.js bin/cldemo.js ...`): at exit,
 * writes the process's peak RSS, its own CPU time (user and system, this process alone: no
 * child's) and the TCP connections it opened, by destination, to $CLDEMO_RSS_FILE, so a
 * bench can weigh a command exactly as a user runs it, without a second process sampling it.
 */
import { writeFileSync } from 'node:fs';
import { Socket } from 'node:net';

const file = process.env.CLDEMO_RSS_FILE;
if (file) {
  // every TCP connection goes through Socket#connect (ssh2 calls it on a Socket of its own)
  const connects: Record<string, number> = {};
  const original = Socket.prototype.connect;
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    const [a, b] = args;
    const o = (typeof a === 'object' && a !== null ? a : { port: a, host: typeof b === 'string' ? b : undefined }) as { port?: unknown; host?: unknown; path?: unknown };
    if (o.path === undefined) {
      const where = `${String(o.host ?? 'localhost')}:${String(o.port)}`;
      connects[where] = (connects[where] ?? 0) + 1;
    }
    return (original as (...x: unknown[]) => Socket).apply(this, args);
  } as typeof original;
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000, connects }));
  });
}
