/**
 * Installing rendered config files on a node: only files whose content differs, each
 * uploaded beside its target, checked on the node, the old one kept, then moved into place.
 * A file that fails its check leaves every file of that node as it was.
 */
import { NodeError } from '../../errors.js';
import { fileSpec, type ConfigFile, type Platform, type RenderedFile } from '../../platforms/index.js';
import { shellCommand, shellQuote } from '../../transport/shell.js';
import type { NodeConnection } from '../../transport/node-connection.js';
import { runRemote, tail } from '../remote.js';

/** Suffixes next to each installed file: the candidate, the one it replaced, and the one before cldemo. */
const CANDIDATE = '.cldemo-new';
const PREVIOUS = '.cldemo-prev';
const ORIGINAL = '.cldemo-orig';
/** marks "there was no such file before cldemo" */
const NO_ORIGINAL = '.cldemo-none';
/** marks "installed but not yet applied": a run cut off between the two applies it next time */
export const UNAPPLIED = '.cldemo-unapplied';

/** The files whose content on the node differs (or that are missing there). */
export async function changedFiles(conn: NodeConnection, files: Iterable<RenderedFile>): Promise<RenderedFile[]> {
  return (await compareFiles(conn, files)).changed;
}

/**
 * `changed`: content differs; `unapplied`: installed by a run that stopped (interrupted, its
 * connection lost) before applying it, so the content matches but the daemon may not.
 */
export async function compareFiles(
  conn: NodeConnection,
  files: Iterable<RenderedFile>,
): Promise<{ changed: RenderedFile[]; unapplied: RenderedFile[]; current: Map<RenderedFile, string | null> }> {
  const all = [...files];
  const [contents, markers] = await Promise.all([Promise.all(all.map((f) => conn.getFile(f.path))), Promise.all(all.map((f) => conn.getFile(f.path + UNAPPLIED)))]);
  const current = new Map(all.map((f, i) => [f, contents[i]]));
  const changed = all.filter((f) => current.get(f) !== f.text);
  return { changed, unapplied: all.filter((f, i) => markers[i] !== null && !changed.includes(f)), current };
}

/** The files took effect: their markers go. */
export async function markApplied(conn: NodeConnection, files: readonly ConfigFile[]): Promise<void> {
  if (files.length === 0) return;
  await runRemote(conn, `rm -f ${files.map((f) => shellQuote(f.path + UNAPPLIED)).join(' ')}`, { timeoutMs: 15_000 });
}

/** Uploads, checks (as `platform` checks each) and installs `files` (all of them or none). */
export async function installFiles(conn: NodeConnection, platform: Platform, files: readonly RenderedFile[]): Promise<void> {
  if (files.length === 0) return;
  const paths = files.map((f) => f.path);
  await Promise.all(files.map((f) => conn.putFile(f.text, f.path + CANDIDATE, 0o644)));
  const failures = (await Promise.all(files.map((f) => checkOne(conn, platform, f)))).filter((f): f is string => f !== undefined);
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

async function checkOne(conn: NodeConnection, platform: Platform, { kind, path }: ConfigFile): Promise<string | undefined> {
  const argv = fileSpec(platform, kind).check?.(path + CANDIDATE);
  if (!argv) return undefined;
  const command = shellCommand(...argv);
  const r = await runRemote(conn, command, { timeoutMs: 30_000, okStatus: 'any' });
  if (r.status === 0) return undefined;
  const output = tail(`${r.stdout}${r.stderr}`.trim(), 10).split('\n').join('\n  ');
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

/** Puts the pre-cldemo files back; returns the files that changed. */
export async function restoreOriginals<F extends ConfigFile>(conn: NodeConnection, files: readonly F[]): Promise<F[]> {
  const paths = files.map((f) => f.path);
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
  const restored = new Set(r.stdout.split('\n').map((l) => l.trim()));
  return files.filter((f) => restored.has(f.path));
}
