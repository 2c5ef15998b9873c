/**
 * Keeping only the shared libraries apache2 and its enabled modules actually load. The
 * rootfs's own dynamic loader, run in a chroot, answers what each ELF file needs, so the
 * answer is about exactly these files and never about the host's.
 */
import { lstat, readdir, readlink, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { OperationError } from '../../errors.js';
import { run } from '../run.js';

/**
 * glibc dlopen()s libgcc_s when a thread exits or is cancelled (mpm_event's threads do),
 * so no ELF file names it; without it apache aborts at the first worker restart.
 */
const LOADED_AT_RUNTIME = [/^libgcc_s\.so\.\d+$/];

/** Delete every library under the rootfs's library dirs that `elfs` don't load. */
export async function pruneLibraries(root: string, elfs: string[]): Promise<void> {
  const loader = await findLoader(root);
  const needed = new Set<string>([loader]);
  for (const elf of elfs) for (const lib of await neededBy(root, loader, elf)) needed.add(lib);
  const keep = new Set<string>();
  for (const path of needed) for (const hop of await symlinkChain(root, path)) keep.add(hop);
  for (const dir of await libraryDirs(root)) {
    for (const name of await readdir(join(root, dir))) {
      const path = posix.join('/', dir, name);
      const st = await lstat(join(root, path));
      if (st.isDirectory()) {
        await rm(join(root, path), { recursive: true }); // apr-util's dlopen()ed drivers: none enabled
      } else if (/\.so(\.|$)/.test(name) && !keep.has(path) && !LOADED_AT_RUNTIME.some((re) => re.test(name))) {
        await rm(join(root, path));
      }
    }
  }
}

/** The dynamic loader the rootfs ships (/lib64/ld-linux-x86-64.so.2 on amd64). */
async function findLoader(root: string): Promise<string> {
  for (const dir of ['lib64', 'lib']) {
    const names = await readdir(join(root, dir)).catch(() => [] as string[]);
    const loader = names.find((n) => /^ld-linux.*\.so\.\d+$/.test(n));
    if (loader) return posix.join('/', dir, loader);
  }
  throw new OperationError(`no dynamic loader (ld-linux*.so) in ${root}: is libc6 in the image's package list?`);
}

async function neededBy(root: string, loader: string, elf: string): Promise<string[]> {
  const { stdout } = await run('chroot', [root, loader, '--list', elf]);
  const missing = [...stdout.matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1]);
  if (missing.length > 0) {
    throw new OperationError(`${elf} in the Apache image needs ${missing.join(', ')}: add its package to IMAGE_PACKAGES`);
  }
  return [...stdout.matchAll(/^\s*(?:\S+ => )?(\/\S+) \(0x/gm)].map((m) => m[1]);
}

/** `path` and every link it passes through, resolved inside the rootfs (absolute targets too). */
async function symlinkChain(root: string, path: string): Promise<string[]> {
  const chain = [path];
  let current = path;
  for (let hop = 0; hop < 10; hop++) {
    const st = await lstat(join(root, current)).catch(() => undefined);
    if (!st?.isSymbolicLink()) return chain;
    const target = await readlink(join(root, current));
    current = target.startsWith('/') ? target : posix.join(posix.dirname(current), target);
    chain.push(current);
  }
  return chain;
}

async function libraryDirs(root: string): Promise<string[]> {
  const dirs: string[] = [];
  for (const base of ['lib', 'usr/lib']) {
    for (const name of await readdir(join(root, base)).catch(() => [] as string[])) {
      if (name.includes('-linux-')) dirs.push(`${base}/${name}`);
    }
  }
  return dirs;
}
