/**
 * Which Debian package versions the image is made of, and fetching exactly those .debs.
 * Versions come from apt's candidate, so `apt-get update` + a new security release of
 * apache2 (or of libc6) gives a new cache key and a rebuild.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationError } from '../../errors.js';
import { run } from '../run.js';

export type PackageVersions = Record<string, string>;

const APT_LISTS = '/var/lib/apt/lists';

/** apt cannot supply a package (version) the image needs; `apt-get update` may cure it. */
export class PackagesUnavailable extends OperationError {}

/**
 * Candidate versions of `packages`. Asking apt costs ~0.5 s (it rebuilds its cache on
 * every call here), so the answer is remembered until apt's package lists change.
 */
export async function candidateVersions(packages: readonly string[], cacheDir: string): Promise<PackageVersions> {
  const memoFile = join(cacheDir, 'apt-candidates.json');
  const stamp = await aptListsStamp(packages);
  const memo = await readJson<{ stamp: string; versions: PackageVersions }>(memoFile);
  if (memo?.stamp === stamp) return memo.versions;
  const versions = await askApt(packages);
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${memoFile}.${process.pid}`;
  await writeFile(tmp, JSON.stringify({ stamp, versions }, null, 2));
  await rename(tmp, memoFile);
  return versions;
}

async function askApt(packages: readonly string[]): Promise<PackageVersions> {
  const { stdout } = await run('apt-cache', ['policy', ...packages], { env: aptEnv() });
  const versions = parsePolicy(stdout);
  const missing = packages.filter((p) => !versions[p]);
  if (missing.length > 0) {
    throw new PackagesUnavailable(
      `apt has no installable version of ${missing.join(', ')} (hint: run 'apt-get update' and check /etc/apt/sources.list)`,
    );
  }
  return versions;
}

/** `apt-cache policy` output -> { package: candidate }, leaving out "(none)". */
export function parsePolicy(text: string): PackageVersions {
  const versions: PackageVersions = {};
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const head = /^([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9]+)?:$/.exec(line);
    if (head) {
      current = head[1];
      continue;
    }
    const candidate = /^\s+Candidate:\s+(\S+)/.exec(line);
    if (candidate && current && candidate[1] !== '(none)') versions[current] = candidate[1];
  }
  return versions;
}

/** Changes whenever apt's lists (or the package set asked about) change. */
async function aptListsStamp(packages: readonly string[]): Promise<string> {
  const hash = createHash('sha256').update(packages.join(' '));
  const names = (await readdir(APT_LISTS).catch(() => [] as string[])).sort();
  for (const name of names) {
    if (name === 'lock' || name === 'partial' || name === 'auxfiles') continue;
    const st = await stat(join(APT_LISTS, name)).catch(() => undefined);
    if (st?.isFile()) hash.update(`${name} ${st.size} ${st.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Download exactly these versions into `dir` (nothing is installed on the host). */
export async function downloadPackages(versions: PackageVersions, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const pinned = Object.entries(versions).map(([name, version]) => `${name}=${version}`);
  await run('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', ...pinned], { cwd: dir, env: aptEnv() })
    .catch((err: Error) => {
      throw new PackagesUnavailable(`downloading the Apache image's packages failed: ${err.message}`);
    });
  const debs = (await readdir(dir)).filter((f) => f.endsWith('.deb')).sort();
  if (debs.length !== pinned.length) {
    throw new OperationError(`apt-get download gave ${debs.length} packages for ${pinned.length} requested in ${dir}`);
  }
  return debs.map((f) => join(dir, f));
}

/** Refresh apt's lists, the one fix for "404 Not Found" after the mirror moved on. */
export async function updateAptLists(): Promise<void> {
  await run('apt-get', ['update', '-q'], { env: aptEnv() });
}

function aptEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' };
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
