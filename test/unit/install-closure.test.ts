/**
 * The install closure: every program cldemo runs, on this host or inside a lab node, comes
 * from a Debian package on scripts/debian-packages.txt (the list setup.sh installs and
 * `lab up` checks), from a package every Debian has (priority required), or from a direct
 * dependency of a listed package. Programs are found by scanning the code: every word in a
 * string literal of src/ and bench/ (TypeScript), every command of a template's post-up lines and every
 * word of scripts/*.sh that names an executable on this machine; `dpkg -S` says whose it is.
 * A word that names a program the code never runs must be listed in NOT_RUN with a reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_LIST_FILE, requiredPackages } from '../../src/lab/packages.js';

/** Programs cldemo is known to run: each must be found by the scan and resolve to a package. */
const INVENTORY = [
  'vtysh',
  '/usr/lib/frr/frr-reload.py',
  '/usr/lib/frr/frrinit.sh',
  'ifreload',
  'ifup',
  'dockerd',
  'docker',
  '/usr/sbin/sshd',
  'ssh-keygen',
  'arping',
  'curl',
  'ping',
  'ip',
  'nsenter',
  'unshare',
  'mount',
  'setsid',
  'sysctl',
  'dpkg-query',
  'apt-get',
  'sudo',
  'useradd',
];

/** Programs other features may come to run: checked only once the code names them. */
const IF_USED = ['tcpdump', 'tshark', 'jq', 'python3', 'socat', 'iptables', 'nft', 'ethtool', 'brctl', 'perl', 'strace', 'lsof', 'nc'];

/** Words that happen to name a program in some package, but that cldemo never runs. */
const NOT_RUN: Record<string, string> = {
  as: 'English ("run it as root")',
  size: 'English',
  file: 'English',
  free: 'English ("kept free")',
  top: 'English',
  w: 'a -w flag',
  less: 'English',
  write: 'English',
  time: 'English',
  arp: 'English ("an arp entry")',
  git: 'bench/ records the commit when git is there; optional',
  systemd: 'English',
  systemctl: 'runs only on Cumulus switches (platform cumulus), never in the lab',
  route: 'English ("a route"); routes are read with ip (iproute2)',
  cc: 'English',
  init: 'a BFD session state (bfdd says up, down, init, shutdown)',
  shutdown: 'a BFD session state',
  ul: 'an HTML list on the live page',
  editor: 'English',
  open: 'English',
  which: 'English',
  nodejs: "named in setup.sh's message about Node.js",
  cldemo: 'the program itself (npm install -g links it into /usr/bin)',
  '/usr/sbin/policy-rc.d': 'written by setup.sh itself, for the length of the install',
};

/** Not Debian packages: the README's prerequisites, checked by setup.sh. */
const PREREQUISITES = new Set(['node', 'npm', 'cldemo' /* the tool itself, put on the PATH by npm link */]);

const BIN_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const TEMPLATE_COMMAND = /^\s*(?:pre-up|up|post-up|pre-down|down|post-down)\s+([\w./-]+)/gm;

function files(dir: string, ext: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p, ext) : ext.test(f) ? [p] : [];
  });
}

/** Candidate words, each with one file that names it. */
function scan(): Map<string, string> {
  const found = new Map<string, string>();
  const add = (w: string, file: string) => (found.has(w) ? undefined : found.set(w, file));
  const words = (text: string) => text.match(/(?<![\w.$/-])\/?[a-z][\w./+-]*/g) ?? [];
  for (const f of [...files('src', /\.ts$/), ...files('bench', /\.ts$/)]) {
    const literals = readFileSync(f, 'utf8').match(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g) ?? [];
    for (const l of literals) for (const w of words(l)) add(w.replace(/[.]+$/, ''), f);
  }
  for (const f of files('templates', /\.j2$/)) for (const m of readFileSync(f, 'utf8').matchAll(TEMPLATE_COMMAND)) add(m[1], f);
  for (const f of files('scripts', /\.sh$/)) for (const w of words(readFileSync(f, 'utf8').replace(/^\s*#.*$/gm, ''))) add(w, f);
  return found;
}

/** The executable a word names on this machine, as dpkg knows it (usr-merged or not). */
function candidatePaths(word: string): string[] {
  const executable = (p: string) => existsSync(p) && statSync(p).isFile() && (statSync(p).mode & 0o111) !== 0;
  // an alternatives link (awk -> mawk) belongs to no package; its target does
  const withTargets = (ps: string[]) => [...new Set([...ps, ...ps.filter(executable).map((p) => realpathSync(p))])];
  if (word.startsWith('/')) {
    if (/^\/(etc|proc|sys|dev|run|var|tmp)\//.test(word) || !executable(word)) return [];
    return withTargets([word, word.startsWith('/usr/') ? word.slice(4) : `/usr${word}`]);
  }
  if (!/^[\w.+-]+$/.test(word)) return [];
  const paths = BIN_DIRS.map((d) => join(d, word));
  return paths.some(executable) ? withTargets(paths) : [];
}

/** path -> owning package(s), from one `dpkg -S` call */
function owners(paths: string[]): Map<string, string> {
  const r = spawnSync('dpkg', ['-S', ...paths], { encoding: 'utf8' });
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([^:]+(?::[^ :]+)?(?:, [^:]+)*): (\/\S+)$/.exec(line);
    if (m && !line.startsWith('diversion')) out.set(m[2], m[1].split(', ')[0].replace(/:.*$/, ''));
  }
  return out;
}

interface PackageFacts {
  priority: string;
  depends: string[];
}

function packageFacts(pkgs: string[]): Map<string, PackageFacts> {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${Priority}\t${Pre-Depends}, ${Depends}\n', ...pkgs], { encoding: 'utf8' });
  const out = new Map<string, PackageFacts>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [name, priority, deps] = line.split('\t');
    const depends = deps.split(/,|\|/).map((d) => d.trim().split(/[\s:(]/)[0]).filter(Boolean);
    out.set(name, { priority, depends });
  }
  return out;
}

interface Program {
  word: string;
  file: string;
  pkg?: string;
}

/** Every scanned word that names a program, with its package (undefined: no package owns it). */
function programs(): Program[] {
  const named = [...scan()].map(([word, file]) => ({ word, file, paths: candidatePaths(word) }));
  const resolved = named.filter((p) => p.paths.length > 0 || INVENTORY.includes(p.word) || IF_USED.includes(p.word));
  const own = owners(resolved.flatMap((p) => p.paths));
  return resolved.map(({ word, file, paths }) => ({ word, file, pkg: paths.map((p) => own.get(p)).find(Boolean) }));
}

/** What is wrong with `list` as the install closure of `progs`: one line per program. */
function closureProblems(progs: Program[], list: string[]): string[] {
  const listed = new Set(list);
  const facts = packageFacts([...new Set([...list, ...progs.map((p) => p.pkg).filter((p): p is string => !!p)])]);
  const deps = new Set(list.flatMap((p) => facts.get(p)?.depends ?? []));
  const problems: string[] = [];
  for (const p of progs) {
    if (NOT_RUN[p.word] || PREREQUISITES.has(p.word)) continue;
    if (!p.pkg) {
      problems.push(`${p.word} (named in ${p.file}): no Debian package on this machine ships it; install it and add its package to ${PACKAGE_LIST_FILE} (only a word? add it to NOT_RUN in this test)`);
      continue;
    }
    const ok = listed.has(p.pkg) || facts.get(p.pkg)?.priority === 'required' || deps.has(p.pkg);
    if (!ok) problems.push(`${p.word} (named in ${p.file}) comes from Debian package ${p.pkg}, which is not on ${PACKAGE_LIST_FILE} (only a word, never run? add it to NOT_RUN in this test)`);
  }
  return problems;
}

const isDebian = existsSync('/var/lib/dpkg/status') && spawnSync('dpkg', ['--version']).status === 0;
if (!isDebian) console.log('install-closure: skipped, not a Debian machine (no dpkg): the closure is judged against dpkg -S');
const describeDebian = isDebian ? describe : describe.skip;

describeDebian('the install closure', () => {
  const progs = isDebian ? programs() : [];

  test('every program the code runs comes from a package on the one list', () => {
    expect(closureProblems(progs, requiredPackages())).toEqual([]);
  });

  test('the scan finds every program of the inventory, and each has a package', () => {
    const byWord = new Map(progs.map((p) => [p.word, p]));
    expect(INVENTORY.filter((w) => !byWord.get(w)?.pkg)).toEqual([]);
    expect(byWord.get('/usr/lib/frr/frr-reload.py')?.pkg).toBe('frr-pythontools');
  });

  test('dropping a package from the list fails the check, naming the program', () => {
    const without = (pkg: string) => requiredPackages().filter((p) => p !== pkg);
    expect(closureProblems(progs, without('frr-pythontools')).join('\n')).toMatch(/frr-reload\.py .* frr-pythontools, which is not on/);
    expect(closureProblems(progs, without('arping')).join('\n')).toMatch(/arping .* arping, which is not on/);
    expect(closureProblems(progs, without('docker.io')).join('\n')).toMatch(/dockerd .* docker\.io/);
  });

  test('NOT_RUN names only words the scan still finds', () => {
    const words = new Set(scan().keys());
    expect(Object.keys(NOT_RUN).filter((w) => !words.has(w))).toEqual([]);
  });
});
