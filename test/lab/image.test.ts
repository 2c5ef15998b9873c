/**
 * The Apache image, for real: built from Debian's packages into a private cache, checked
 * in a chroot, imported into a throwaway dockerd in its own network namespace, and asked
 * for a page over HTTP. Needs root (CI is root) and Debian's mirror. Its pure helpers are
 * tested in image-helpers.test.ts.
 * @needs-root builds and imports the image into a throwaway dockerd in a network namespace
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DockerodeEngine } from '../../src/transport/docker.js';
import { APACHE_ENV, ensureApacheImage, importImage, type ApacheImage } from '../../src/lab/image.js';
import { run } from '../../src/lab/run.js';
import { startScratchEngine, type ScratchEngine } from '../../src/lab/image/scratch-engine.js';

const IMAGE = 'cldemo/apache:latest';

describe('the Apache image', () => {
  let cacheDir: string;
  let image: ApacheImage;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'cldemo-imgtest-cache-'));
    image = await ensureApacheImage({ cacheDir });
  }, 180_000);

  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('the first call builds a tarball into the cache', () => {
    expect(image.built).toBe(true);
    expect(image.tarball.startsWith(cacheDir)).toBe(true);
    expect(image.key).toMatch(/^[0-9a-f]{16}$/);
  });

  test('a second call reuses it', async () => {
    const again = await ensureApacheImage({ cacheDir });
    expect(again).toEqual({ ...image, built: false });
  });

  test('the tarball holds apache2, its enabled config and the page', async () => {
    const { stdout } = await run('tar', ['-tf', image.tarball]);
    const entries = new Set(stdout.split('\n'));
    for (const path of [
      './usr/sbin/apache2',
      './etc/apache2/mods-enabled/mpm_event.load',
      './etc/apache2/mods-enabled/authz_core.load', // pulled in by a "# Depends:" line
      './etc/apache2/sites-enabled/000-default.conf',
      './var/www/html/index.html',
      './etc/passwd',
    ]) {
      expect(entries).toContain(path);
    }
  });

  test('its configuration passes apache2 -t in a chroot', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cldemo-imgtest-root-'));
    try {
      await run('tar', ['-xf', image.tarball, '-C', root]);
      const { stdout, stderr } = await run('chroot', [root, '/usr/sbin/apache2', '-t'], { env: APACHE_ENV });
      expect(`${stdout}${stderr}`).toContain('Syntax OK');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  describe('in a fresh dockerd', () => {
    let engine: ScratchEngine;

    beforeAll(async () => {
      engine = await startScratchEngine('imgtest');
    }, 60_000);

    afterAll(async () => {
      await engine?.stop();
    }, 60_000);

    test('importImage loads it once, then finds it already there', async () => {
      expect(await importImage(engine.docker, image.tarball, IMAGE)).toBe('imported');
      expect(await importImage(engine.docker, image.tarball, IMAGE)).toBe('present');
      const info = (await engine.docker.image(IMAGE))!;
      expect(info.cmd).toEqual(['/usr/sbin/apache2', '-D', 'FOREGROUND']);
      expect(info.exposedPorts).toEqual(['80/tcp']);
    });

    test('a container from it answers HTTP with a Server: Apache header', async () => {
      const id = await engine.docker.createContainer({
        image: IMAGE,
        name: 'web',
        network: 'host', // the host here is the engine's own namespace
      });
      await engine.docker.startContainer(id);
      const response = await httpGet(engine, 'http://127.0.0.1/');
      expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(response).toMatch(/^Server: Apache\/2\.4\.\d+ \(Debian\)\r?$/m);
      expect(response).toContain('cldemo Apache');
      // the process list is beyond cldemo's DockerEngine: ask dockerode itself
      const top = await (engine.docker as DockerodeEngine).dockerode.getContainer(id).top();
      expect(top.Processes[0].at(-1)).toBe('/usr/sbin/apache2 -D FOREGROUND');
    }, 60_000);
  });
});

/** Waits for apache to listen: a container's start returns before its process binds. */
async function httpGet(engine: ScratchEngine, url: string): Promise<string> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      return (await engine.inNetns('curl', ['-sS', '-i', '--max-time', '2', url])).stdout;
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw lastError;
}
