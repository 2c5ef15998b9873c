/**
 * Installing rendered config files on a node: only files whose content differs, each
 * uploaded beside its target, checked on the node, the old one kept, then moved into place.
 * A file that fails its check leaves every file of that node as it was.
 */
import { NodeError } from '../errors.js';
import { shellQuote } from '../transport/shell.js';
import type { NodeConnection } from '../transport/ssh.js';
import { checkFor } from './platforms.js';
import { runRemote } from './remote.js';

/** Suffixes next to each installed file: the candidate, the one it replaced, and the one before cldemo. */
export const CANDIDATE = '.cldemo-new';
export const PREVIOUS = '.cldemo-prev';
export const ORIGINAL = '.cldemo-orig';
/** marks "there was no such file before cldemo" */
export const NO_ORIGINAL = '.cldemo-none';
/** marks "installed but not yet applied": a run cut off between the two applies it next time */
export const UNAPPLIED = '.cldemo-unapplied';

/** Paths whose content on the node differs from `files` (or that are missing there). */
export async function changedFiles(conn: NodeConnection, files: Map<string, string>): Promise<string[]> {
  return (await compareFiles(conn, files)).changed;
}

/**
 * `changed`: content differs; `unapplied`: installed by a run that stopped (interrupted, its
 * connection lost) before applying it, so the content matches but the daemon may not.
 */
export async function compareFiles(
  conn: NodeConnection,
  files: Map<string, string>,
): Promise<{ changed: string[]; unapplied: string[]; current: Map<string, string | null> }> {
  const paths = [...files.keys()];
  const [contents, markers] = await Promise.all([Promise.all(paths.map((p) => conn.getFile(p))), Promise.all(paths.map((p) => conn.getFile(p + UNAPPLIED)))]);
  const current = new Map(paths.map((p, i) => [p, contents[i]]));
  const changed = paths.filter((p) => current.get(p) !== files.get(p));
  return { changed, unapplied: paths.filter((p, i) => markers[i] !== null && !changed.includes(p)), current };
}

/** The files took effect: their markers go. */
export async function markApplied(conn: NodeConnection, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  await runRemote(conn, `rm -f ${paths.map((p) => shellQuote(p + UNAPPLIED)).join(' ')}`, { timeoutMs: 15_000 });
}

/**
 * What FRR's start script takes from /etc/frr/daemons: the daemons that run and their
 * options. Comments, order and the options of disabled daemons do not matter, and zebra
 * and staticd always run, so two files equal here need no restart between them.
 */
export function frrDaemonSettings(text: string | null): string {
  const settings = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^\s*([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) settings.set(m[1], m[2].trim().replace(/^"(.*)"$/, '$1').trim().replace(/\s+/g, ' '));
  }
  for (const always of ['zebra', 'staticd']) settings.set(always, 'yes');
  const disabled = (key: string) => key.endsWith('_options') && settings.get(key.slice(0, -'_options'.length)) !== 'yes';
  return [...settings].filter(([k]) => !disabled(k)).map(([k, v]) => `${k}=${v}`).sort().join('\n');
}

/** Uploads, checks and installs `paths` (all of them or none). */
export async function installFiles(conn: NodeConnection, files: Map<string, string>, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  await Promise.all(paths.map((p) => conn.putFile(files.get(p)!, p + CANDIDATE, 0o644)));
  const failures = (await Promise.all(paths.map((p) => checkOne(conn, p)))).filter((f): f is string => f !== undefined);
  if (failures.length > 0) {
    await runRemote(conn, `rm -f ${paths.map((p) => shellQuote(p + CANDIDATE)).join(' ')}`);
    throw new NodeError(conn.node, `${failures.join('\n')}\nnothing installed on ${conn.node}; its previous config is still in place`);
  }
  // every backup first, then every rename: a failure part way leaves no file installed unapplied;
  // each rename is atomic (the file is the old or the new one) and leaves a marker until applied
  await runRemote(
    conn,
    [...paths.map(backupScript), ...paths.map((p) => `: > ${shellQuote(p + UNAPPLIED)} && mv -f ${shellQuote(p + CANDIDATE)} ${shellQuote(p)} || exit 1`)].join('\n'),
    { what: `installing ${paths.join(', ')}`, timeoutMs: 30_000 },
  );
}

async function checkOne(conn: NodeConnection, path: string): Promise<string | undefined> {
  const command = checkFor(path, path + CANDIDATE);
  if (!command) return undefined;
  const r = await runRemote(conn, command, { timeoutMs: 30_000, okStatus: 'any' });
  if (r.status === 0) return undefined;
  const output = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-10).join('\n  ');
  return `${path} failed its check (${command}, exit ${r.status}):\n  ${output}`;
}

/** Keeps the replaced file (and, once, the pre-cldemo one); the candidate takes its owner and mode. */
function backupScript(path: string): string {
  const f = shellQuote(path);
  const q = (suffix: string) => shellQuote(path + suffix);
  return [
    `if [ -e ${f} ]; then`,
    `  cp -p ${f} ${q(PREVIOUS)} && chown --reference=${f} ${q(CANDIDATE)} && chmod --reference=${f} ${q(CANDIDATE)} || exit 1`,
    `  [ -e ${q(ORIGINAL)} ] || [ -e ${q(NO_ORIGINAL)} ] || cp -p ${f} ${q(ORIGINAL)} || exit 1`,
    `else`,
    `  [ -e ${q(ORIGINAL)} ] || touch ${q(NO_ORIGINAL)} || exit 1`,
    `fi`,
  ].join('\n');
}

/** Puts the pre-cldemo files back; returns the paths that changed. */
export async function restoreOriginals(conn: NodeConnection, paths: string[]): Promise<string[]> {
  const script = paths
    .map((path) => {
      const f = shellQuote(path);
      const q = (suffix: string) => shellQuote(path + suffix);
      return [
        `if [ -e ${q(ORIGINAL)} ]; then if ! cmp -s ${q(ORIGINAL)} ${f}; then cp -p ${q(ORIGINAL)} ${f} && echo ${f}; fi; rm -f ${q(ORIGINAL)};`,
        `elif [ -e ${q(NO_ORIGINAL)} ]; then [ -e ${f} ] && rm -f ${f} && echo ${f}; rm -f ${q(NO_ORIGINAL)}; fi`,
        `rm -f ${q(PREVIOUS)}`,
      ].join('\n');
    })
    .join('\n');
  const r = await runRemote(conn, script, { what: `restoring ${paths.join(', ')}` });
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}
