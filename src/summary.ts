/**
 * How the command layer says what up and down changed (src/fabric/changes.ts): one line per
 * change (--verbose, --json `changes`, progress) and one short line per node for the
 * end-of-command tables: "4 files installed, FRR reloaded, agent started" instead of every
 * path and command. Lines are cut to fit a 100-column terminal.
 */
import type { Change } from './fabric/change/changes.js';

const PAST: Record<string, string> = { create: 'created', recreate: 'recreated', start: 'started', remove: 'removed', restart: 'restarted', reload: 'reloaded', stop: 'stopped' };

/** One change in words; `dryRun`: what would be done. */
function wordChange(c: Change, dryRun = false): string {
  switch (c.type) {
    case 'install':
      return `${dryRun ? 'would install' : 'installed'} ${c.path}`;
    case 'apply-pending':
      return `${dryRun ? 'would apply' : 'applying'} ${c.path} (installed by an earlier run that stopped before applying it)`;
    case 'apply':
      return c.command;
    case 'restore':
      return `restored ${c.path}`;
    case 'agent':
      if (c.action === 'upload') return `${dryRun ? 'would upload' : 'uploaded'} the rdnbrd agent to ${c.dir}`;
      return dryRun ? `would ${c.action} rdnbrd` : `rdnbrd ${PAST[c.action]}`;
    case 'network':
    case 'container':
      return `${dryRun ? `would ${c.action}` : PAST[c.action]} ${c.type} ${c.name}${c.type === 'container' && c.stale ? ' (not in the topology)' : ''}`;
  }
}

export function wordChanges(changes: readonly Change[], dryRun = false): string[] {
  return changes.map((c) => wordChange(c, dryRun));
}

/** How a change is counted: changes with one key make one part of the summary. */
interface Counted {
  key: string;
  one: string;
  many?: (n: number) => string;
}

function counted(c: Change, dryRun: boolean): Counted {
  switch (c.type) {
    case 'install':
      return dryRun ? { key: 'would-install', one: 'would install 1 file', many: (n) => `would install ${n} files` } : { key: 'install', one: '1 file', many: (n) => `${n} files` };
    case 'apply-pending':
      return dryRun
        ? { key: 'would-apply-pending', one: 'would apply 1 unapplied file', many: (n) => `would apply ${n} unapplied files` }
        : { key: 'apply-pending', one: '1 unapplied file applied', many: (n) => `${n} unapplied files applied` };
    case 'restore':
      return { key: 'restore', one: '1 file restored', many: (n) => `${n} files restored` };
    case 'apply':
      return { key: `apply:${c.summary}`, one: c.summary };
    case 'agent':
      if (c.action === 'upload') return { key: 'agent-upload', one: dryRun ? 'would upload agent' : 'agent uploaded' };
      return { key: `agent:${c.action}`, one: dryRun ? wordChange(c, true) : `agent ${PAST[c.action]}` };
    case 'network':
    case 'container':
      return dryRun
        ? { key: `${c.type}:${c.action}`, one: `would ${c.action} 1 ${c.type}`, many: (n) => `would ${c.action} ${n} ${c.type}s` }
        : { key: `${c.type}:${c.action}`, one: `${c.type} ${PAST[c.action]}`, many: (n) => `${n} ${c.type}s ${PAST[c.action]}` };
  }
}

export function summarizeChanges(changes: readonly Change[], dryRun = false, width = 80): string {
  const groups = new Map<string, { count: number; counted: Counted }>();
  for (const c of changes) {
    const k = counted(c, dryRun);
    const g = groups.get(k.key);
    if (g) g.count += 1;
    else groups.set(k.key, { count: 1, counted: k });
  }
  const parts = [...groups.values()].map(({ count, counted: k }) => (count > 1 && k.many ? k.many(count) : k.one));
  return fit(parts.join(', '), width);
}

/** Cuts a line to `width` characters, saying where the rest is. */
export function fit(line: string, width: number): string {
  if (line.length <= width) return line;
  const tail = ' ... (--verbose)';
  return line.slice(0, width - tail.length).replace(/[,\s]+\S*$/, '') + tail;
}
