/** The Debian packages a lab node is made of: checked with dpkg-query, installed with apt-get. */
import { OperationError } from '../errors.js';
import { IMAGE_BUILDER_PACKAGES } from './image.js';
import { execute, run } from './run.js';

export const LAB_PACKAGES = ['frr', 'frr-pythontools', 'docker.io', 'openssh-server', 'ifupdown2', 'iproute2', 'iputils-ping', 'arping', 'util-linux'];

export function requiredPackages(): string[] {
  return [...new Set([...LAB_PACKAGES, ...IMAGE_BUILDER_PACKAGES])];
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
  if (process.getuid?.() !== 0) throw new OperationError(`missing Debian packages: ${missing.join(', ')}; as root run: ${cmd}`);
  log(`installing ${missing.join(', ')}`);
  const apt = ['install', '-y', '--no-install-recommends', ...missing];
  await run('apt-get', apt, { env: APT_ENV }).catch(async () => {
    // stale package lists are the usual reason; refresh once
    await run('apt-get', ['update'], { env: APT_ENV });
    await run('apt-get', apt, { env: APT_ENV });
  });
}
