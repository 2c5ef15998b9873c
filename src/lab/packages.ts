/**
 * The Debian packages a lab node is made of: read from scripts/debian-packages.txt (the one
 * list scripts/setup.sh installs), checked with dpkg-query, installed with apt-get.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationError } from '../errors.js';
import { requireRoot } from './host.js';
import { execute, run } from './run.js';

export const PACKAGE_LIST_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'debian-packages.txt');

/** One package a line; `#` starts a comment. */
function parsePackageList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

export function requiredPackages(file = PACKAGE_LIST_FILE): string[] {
  return [...new Set(parsePackageList(readFileSync(file, 'utf8')))];
}
export async function missingPackages(pkgs: string[]): Promise<string[]> {
  // exits 1 when some package is unknown to dpkg, still listing the ones it knows
  const { stdout: out } = await execute('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...pkgs]);
  const installed = new Set(
    out
      .split('\n')
      .map((l) => l.split(' '))
      .filter(([, status]) => status === 'installed')
      .map(([name]) => name.replace(/:.*$/, '')),
  );
  return pkgs.filter((p) => !installed.has(p));
}

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** Installs what is missing; refuses with one line saying what to run when it may not. */
export async function ensurePackages(install: boolean, log: (msg: string) => void): Promise<void> {
  const missing = await missingPackages(requiredPackages());
  if (!missing.length) return;
  const cmd = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!install) throw new OperationError(`missing Debian packages: ${missing.join(', ')}; install them with: ${cmd}`);
  requireRoot(`missing Debian packages: ${missing.join(', ')}; as root run: ${cmd}`);
  log(`installing ${missing.join(', ')}`);
  const apt = ['install', '-y', '--no-install-recommends', ...missing];
  await run('apt-get', apt, { env: APT_ENV }).catch(async () => {
    // stale package lists are the usual reason; refresh once
    await run('apt-get', ['update'], { env: APT_ENV });
    await run('apt-get', apt, { env: APT_ENV });
  });
}
