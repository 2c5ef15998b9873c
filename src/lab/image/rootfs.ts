/**
 * Assembling the image's root filesystem from unpacked .debs, doing by hand what
 * apache2's maintainer scripts would do (they need perl and a full system, so they never
 * run here), then proving it in a chroot and packing it reproducibly.
 */
import { chmod, chown, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OperationError } from '../../errors.js';
import {
  APACHE_ENV, CLDEMO_CONF, ENABLED_CONFS, ENABLED_MODULES, ENABLED_SITES, GROUP, INDEX_HTML,
  LOG_LINKS, NSSWITCH, PASSWD, PRUNED_PATHS,
} from './recipe.js';
import { pruneLibraries } from './libraries.js';
import { run } from '../run.js';

const WWW_DATA_UID = 33;
const APACHE_ETC = 'etc/apache2';
const MODULES_DIR = 'usr/lib/apache2/modules';

export async function assembleRootfs(root: string, debs: string[]): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const deb of debs) await run('dpkg-deb', ['-x', deb, root]);
  await pruneRootfs(root);
  const modules = await enableModules(root, ENABLED_MODULES);
  const moduleFiles = await dropUnusedModules(root, modules);
  await pruneLibraries(root, ['/usr/sbin/apache2', ...moduleFiles]);
  await writeFile(join(root, APACHE_ETC, 'conf-available/cldemo.conf'), CLDEMO_CONF);
  await enableAll(root, 'conf', ENABLED_CONFS);
  await enableAll(root, 'sites', ENABLED_SITES);
  await writeSystemFiles(root);
}

async function pruneRootfs(root: string): Promise<void> {
  for (const path of PRUNED_PATHS) await rm(join(root, path), { recursive: true, force: true });
}

/** Like `a2enmod`: follow each module's "# Depends:" line, link its .load and .conf. */
async function enableModules(root: string, wanted: string[]): Promise<Set<string>> {
  const enabled = new Set<string>();
  const queue = [...wanted];
  while (queue.length > 0) {
    const mod = queue.shift()!;
    if (enabled.has(mod)) continue;
    const load = await readFile(join(root, APACHE_ETC, `mods-available/${mod}.load`), 'utf8').catch(() => {
      throw new OperationError(`apache2 has no module ${mod} (mods-available/${mod}.load is missing)`);
    });
    enabled.add(mod);
    queue.push(...moduleDepends(load));
  }
  for (const mod of enabled) {
    await enableFile(root, 'mods', `${mod}.load`);
    await enableFile(root, 'mods', `${mod}.conf`, { optional: true });
  }
  return enabled;
}

export function moduleDepends(loadFile: string): string[] {
  const line = /^#\s*Depends:\s*(.*)$/m.exec(loadFile);
  return line ? line[1].split(/[\s,]+/).filter(Boolean) : [];
}

/**
 * Keep only the enabled modules, objects and config: the others need libraries the image
 * leaves out, and without a2enmod (perl) nobody could enable them anyway.
 */
async function dropUnusedModules(root: string, enabled: Set<string>): Promise<string[]> {
  const keep = new Set<string>();
  for (const mod of enabled) {
    const load = await readFile(join(root, APACHE_ETC, `mods-available/${mod}.load`), 'utf8');
    for (const m of load.matchAll(/^\s*LoadModule\s+\S+\s+(\S+)/gm)) keep.add(m[1]);
  }
  for (const file of await readdir(join(root, MODULES_DIR))) {
    if (file.endsWith('.so') && !keep.has(`/${MODULES_DIR}/${file}`)) await rm(join(root, MODULES_DIR, file));
  }
  const available = join(root, APACHE_ETC, 'mods-available');
  for (const file of await readdir(available)) {
    if (!enabled.has(file.replace(/\.(load|conf)$/, ''))) await rm(join(available, file));
  }
  return [...keep];
}

async function enableAll(root: string, kind: 'conf' | 'sites', names: string[]): Promise<void> {
  for (const name of names) await enableFile(root, kind, `${name}.conf`);
}

async function enableFile(root: string, kind: string, file: string, opts: { optional?: boolean } = {}): Promise<void> {
  const available = join(root, APACHE_ETC, `${kind}-available`, file);
  const exists = await readFile(available).then(() => true, () => false);
  if (!exists) {
    if (opts.optional) return;
    throw new OperationError(`apache2 has no ${kind}-available/${file}`);
  }
  await mkdir(join(root, APACHE_ETC, `${kind}-enabled`), { recursive: true });
  await symlink(`../${kind}-available/${file}`, join(root, APACHE_ETC, `${kind}-enabled`, file));
}

/** The bits of base-files and passwd a process needs to drop to www-data and find its dirs. */
async function writeSystemFiles(root: string): Promise<void> {
  await writeFile(join(root, 'etc/passwd'), PASSWD);
  await writeFile(join(root, 'etc/group'), GROUP);
  await writeFile(join(root, 'etc/nsswitch.conf'), NSSWITCH);
  for (const dir of ['proc', 'sys', 'dev', 'run/lock', 'var/www/html', 'var/log/apache2']) {
    await mkdir(join(root, dir), { recursive: true });
  }
  await mkdir(join(root, 'tmp'), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  await mkdir(join(root, 'root'), { recursive: true, mode: 0o700 });
  await symlink('/run', join(root, 'var/run'));
  await symlink('/run/lock', join(root, 'var/lock'));
  // apache2ctl would create these at each start; with apache2 as PID 1 they ship in the image.
  for (const dir of ['run/apache2', 'run/lock/apache2']) {
    await mkdir(join(root, dir), { recursive: true });
    await chown(join(root, dir), WWW_DATA_UID, 0);
  }
  await writeFile(join(root, 'var/www/html/index.html'), INDEX_HTML);
  for (const [path, target] of Object.entries(LOG_LINKS)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await symlink(target, join(root, path));
  }
}

/**
 * `apache2 -t` inside the rootfs: the dynamic loader proves every library is there (it
 * loads each enabled module) and apache proves the configuration parses.
 */
export async function verifyRootfs(root: string): Promise<string> {
  const { stdout, stderr } = await run('chroot', [root, '/usr/sbin/apache2', '-t'], { env: APACHE_ENV }).catch((err: Error) => {
    throw new OperationError(`the Apache image does not pass its check: ${err.message}`);
  });
  const output = `${stdout}${stderr}`.trim();
  if (!/Syntax OK/.test(output)) throw new OperationError(`apache2 -t in ${root} did not say "Syntax OK": ${output}`);
  return output;
}

/** Same tree in, same bytes out: sorted entries, one mtime, numeric owners. */
export async function packRootfs(root: string, tarball: string): Promise<void> {
  await run('tar', [
    '--create', '--file', tarball, '--format=gnu', '--sort=name', '--mtime=@0', '--numeric-owner',
    '--directory', root, '.',
  ]);
}
