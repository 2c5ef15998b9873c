/**
 * The lab's Apache httpd image. No registry is reachable, so the image is assembled from
 * Debian's apache2 packages (see image/recipe.ts), cached per machine under a key made of
 * its inputs, and imported into each server's dockerd.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationError } from '../errors.js';
import {
  PackagesUnavailable, candidateVersions, downloadPackages, updateAptLists, type PackageVersions,
} from './image/packages.js';
import { APACHE_CMD, APACHE_ENV, IMAGE_PACKAGES, RECIPE_VERSION } from './image/recipe.js';
import { assembleRootfs, packRootfs, verifyRootfs } from './image/rootfs.js';
import type { DockerEngine } from '../transport/docker-engine.js';
import { requireRoot } from './host.js';


export { APACHE_ENV } from './image/recipe.js';

const DEFAULT_IMAGE_CACHE = '/var/cache/cldemo/images';
/** Label on imported images: the sha256 of the tarball they came from. */
const IMAGE_DIGEST_LABEL = 'cldemo.image-digest';

export interface ApacheImageOptions {
  cacheDir?: string;
  log?: (msg: string) => void;
  /** May refresh apt's package lists when a download fails (default true). */
  install?: boolean;
}

export interface ApacheImage {
  tarball: string;
  key: string;
  built: boolean;
  bytes: number;
}

interface ApacheImageInputs {
  recipe: number;
  arch: string;
  packages: PackageVersions;
}

/** Everything the tarball is made from; the cache key is its hash. */
async function apacheImageInputs(cacheDir = DEFAULT_IMAGE_CACHE): Promise<ApacheImageInputs> {
  const packages = await candidateVersions(IMAGE_PACKAGES, cacheDir);
  return { recipe: RECIPE_VERSION, arch: process.arch, packages };
}

function apacheImageKey(inputs: ApacheImageInputs): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

/** The cached tarball for the current inputs, built first if this machine has none. */
export async function ensureApacheImage(opts: ApacheImageOptions = {}): Promise<ApacheImage> {
  const cacheDir = opts.cacheDir ?? DEFAULT_IMAGE_CACHE;
  const log = opts.log ?? (() => {});
  try {
    return await ensureFromAptLists(cacheDir, log);
  } catch (err) {
    // Stale or never-fetched lists: apt knows no apache2, or the mirror dropped that version.
    if (opts.install === false || !(err instanceof PackagesUnavailable)) throw err;
    log(`${err.message}; refreshing apt's package lists and retrying`);
    await updateAptLists();
    return ensureFromAptLists(cacheDir, log);
  }
}

async function ensureFromAptLists(cacheDir: string, log: (msg: string) => void): Promise<ApacheImage> {
  const inputs = await apacheImageInputs(cacheDir);
  const key = apacheImageKey(inputs);
  const cached = await cachedImage(cacheDir, key);
  if (cached) return cached;
  requireRoot('building the Apache image needs root (it unpacks packages and runs chroot): run as root');
  await mkdir(cacheDir, { recursive: true });
  await removeAbandonedBuilds(cacheDir);
  const work = join(cacheDir, `.build-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    return await buildImage(cacheDir, work, inputs, log);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function buildImage(
  cacheDir: string, work: string, inputs: ApacheImageInputs, log: (msg: string) => void,
): Promise<ApacheImage> {
  const started = Date.now();
  const key = apacheImageKey(inputs);
  log(`building Apache image ${key} from apache2 ${inputs.packages['apache2']}`);
  const debs = await downloadPackages(inputs.packages, join(work, 'debs'));
  const root = join(work, 'rootfs');
  await assembleRootfs(root, debs);
  await verifyRootfs(root);
  const packed = join(work, 'rootfs.tar');
  await packRootfs(root, packed);
  const { size } = await stat(packed);
  const tarball = tarballPath(cacheDir, key);
  const manifest = { key, inputs, bytes: size, sha256: await fileDigest(packed), buildMs: Date.now() - started };
  await writeFile(join(cacheDir, `apache-${key}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(packed, tarball); // last: a tarball in the cache is always complete
  await removeOtherImages(cacheDir, key);
  log(`built Apache image ${key}: ${(size / 1e6).toFixed(1)} MB in ${(manifest.buildMs / 1000).toFixed(1)} s`);
  return { tarball, key, built: true, bytes: size };
}

function tarballPath(cacheDir: string, key: string): string {
  return join(cacheDir, `apache-${key}.tar`);
}

async function cachedImage(cacheDir: string, key: string): Promise<ApacheImage | undefined> {
  const tarball = tarballPath(cacheDir, key);
  const st = await stat(tarball).catch(() => undefined);
  return st?.isFile() ? { tarball, key, built: false, bytes: st.size } : undefined;
}

/** Build dirs of processes that died half-way; a live builder's dir is left alone. */
async function removeAbandonedBuilds(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    const pid = Number(/^\.build-(\d+)-/.exec(name)?.[1]);
    if (pid && !processAlive(pid)) await rm(join(cacheDir, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function removeOtherImages(cacheDir: string, key: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    const m = /^apache-([0-9a-f]+)\.(tar|json)$/.exec(name);
    if (m && m[1] !== key) await rm(join(cacheDir, name), { force: true });
  }
}

const digests = new Map<string, Promise<string>>();

/** sha256 of a file, remembered per (path, size, mtime): importing into 24 engines hashes once. */
async function fileDigest(file: string): Promise<string> {
  const st = await stat(file);
  const id = `${file}\0${st.size}\0${st.mtimeMs}`;
  let digest = digests.get(id);
  if (!digest) {
    digest = new Promise<string>((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(file)
        .on('data', (chunk) => hash.update(chunk))
        .on('error', reject)
        .on('end', () => resolve(`sha256:${hash.digest('hex')}`));
    });
    digests.set(id, digest);
  }
  return digest;
}

/**
 * Import the tarball into `docker` as `name`, unless that name already carries an image
 * from the same tarball. Resolves to what happened.
 */
export async function importImage(docker: DockerEngine, tarball: string, name: string): Promise<'imported' | 'present'> {
  const digest = await fileDigest(tarball);
  if ((await imageDigest(docker, name)) === digest) return 'present';
  await docker.importImage(tarball, name, imageChanges(digest));
  if ((await imageDigest(docker, name)) !== digest) {
    throw new OperationError(`importing ${tarball} as ${name}: the image is not there afterwards`);
  }
  return 'imported';
}

/** The Dockerfile-style config `docker import --change` applies: apache2 in the foreground as PID 1. */
function imageChanges(digest: string): string[] {
  return [
    `CMD ${JSON.stringify(APACHE_CMD)}`,
    ...Object.entries(APACHE_ENV).map(([k, v]) => `ENV ${k}=${v}`),
    'EXPOSE 80/tcp',
    `LABEL ${IMAGE_DIGEST_LABEL}=${digest}`,
  ];
}

async function imageDigest(docker: DockerEngine, name: string): Promise<string | undefined> {
  return (await docker.image(name))?.labels[IMAGE_DIGEST_LABEL];
}
