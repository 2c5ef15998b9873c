/**
 * How fast the lab's Apache image is made and loaded: cold build, cached call, tarball
 * size, import into fresh dockerds (in parallel, as `lab up` does), and container start to
 * first HTTP answer. Needs root and `npm run build`.
 *
 *   node dist/bench/apache-image.js [--engines N]     (default 1; the big topology has 24 servers)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureApacheImage, importImage, startScratchEngine, type ScratchEngine } from 'cldemo/bench';

const IMAGE = 'cldemo/apache:latest';
const engineCount = Number(process.argv[process.argv.indexOf('--engines') + 1]) || 1;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

function report(name: string, value: number | string, unit: string): void {
  console.log(`${name.padEnd(34)} ${typeof value === 'number' ? value.toFixed(0) : value} ${unit}`);
}

async function firstHttpAnswer(engine: ScratchEngine): Promise<string> {
  for (;;) {
    try {
      return (await engine.inNetns('curl', ['-sS', '-I', '--max-time', '2', 'http://127.0.0.1/'])).stdout;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const cacheDir = await mkdtemp(join(tmpdir(), 'cldemo-imgbench-'));
const engines: ScratchEngine[] = [];
try {
  const cold = await timed(() => ensureApacheImage({ cacheDir }));
  const warm = await timed(() => ensureApacheImage({ cacheDir }));
  report('cold build', cold.ms, 'ms');
  report('cached ensureApacheImage', warm.ms, 'ms');
  report('tarball size', cold.value.bytes / 1e6, `MB (${cold.value.bytes} bytes)`);

  const started = await timed(() => Promise.all(Array.from({ length: engineCount }, () => startScratchEngine('imgbench'))));
  engines.push(...started.value);
  report(`start ${engineCount} scratch dockerd(s)`, started.ms, 'ms (not part of the image)');

  const tarball = cold.value.tarball;
  const first = await timed(() => Promise.all(engines.map((e) => importImage(e.docker, tarball, IMAGE))));
  report(`import into ${engineCount} engine(s)`, first.ms, `ms (${first.value.join(',')})`);
  const again = await timed(() => Promise.all(engines.map((e) => importImage(e.docker, tarball, IMAGE))));
  report(`re-import into ${engineCount} engine(s)`, again.ms, `ms (${[...new Set(again.value)]})`);

  const engine = engines[0];
  const http = await timed(async () => {
    await engine.docker.startContainer(await engine.docker.createContainer({ image: IMAGE, network: 'host' }));
    return firstHttpAnswer(engine);
  });
  report('container create+start to HTTP', http.ms, 'ms');
  report('server header', /^Server: (.*?)\r?$/m.exec(http.value)?.[1] ?? 'none', '');
} finally {
  await Promise.all(engines.map((e) => e.stop()));
  await rm(cacheDir, { recursive: true, force: true });
}
