/**
 * The lock held on the fabric itself, so that two operators on two machines cannot push to
 * one fabric at once (the local lock in lock.ts only sees runs of one user on one machine).
 *
 * A run that changes the fabric takes, before it changes anything, a lock file on every node
 * of its topology: /run/cldemo/fabric.lock, created atomically (a complete file hard-linked
 * into place) and naming its holder (user, machine, pid, command, topology, since, a token).
 * It never waits: one node held by another run and every lock taken so far is released and
 * the run refused, naming the holder; so two runs cannot deadlock, whatever order they take
 * nodes in. The holder refreshes its files every HEARTBEAT_S; a lock not refreshed for
 * STALE_AFTER_S (the node's own clock), or whose holder is a dead process on this machine,
 * or unreadable, is taken over. /run empties at reboot. A node that cannot be reached at lock
 * time is not locked (the run cannot change it either, and reports it).
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { messageOf, OperationError } from '../../errors.js';
import { commandLine, holderIsAlive, processStart } from '../../lock.js';
import { shellQuote } from '../../transport/shell.js';
import type { NodeConnection } from '../../transport/node-connection.js';
import type { NodePlan } from '../../topology/types.js';
import type { FabricContext } from '../context.js';
import { eachLimit } from '../../concurrency.js';

const FABRIC_LOCK_DIR = '/run/cldemo';
const HEARTBEAT_S = 30;
export const STALE_AFTER_S = 300;

export interface FabricHolder {
  user: string;
  host: string;
  pid: number;
  /** the process's start time (/proc/PID/stat field 22): a reused pid on the holder's machine is not the holder */
  start: string;
  command: string;
  topology: string;
  since: string;
  token: string;
}

export function newHolder(topology: string, command = commandLine()): FabricHolder {
  return {
    user: userInfo().username,
    host: hostname(),
    pid: process.pid,
    start: processStart(process.pid) ?? '',
    command,
    topology,
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
}

/** Node-side scripts (a POSIX sh, as root); `dir` is FABRIC_LOCK_DIR but for tests. */
export const lockScripts = {
  /** `taken`, or `held AGE_S` and the holder's file */
  take: (h: FabricHolder, dir = FABRIC_LOCK_DIR): string =>
    [
      `umask 077; d=${shellQuote(dir)}; l="$d/fabric.lock"`,
      'mkdir -p "$d" || exit 1',
      't=$(mktemp "$d/.take.XXXXXX") || exit 1',
      `printf '%s\\n' ${shellQuote(JSON.stringify(h))} > "$t" || { rm -f "$t"; exit 1; }`,
      'if ln "$t" "$l" 2>/dev/null; then rm -f "$t"; echo taken; exit 0; fi',
      'rm -f "$t"',
      'c=$(cat "$l" 2>/dev/null) && m=$(stat -c %Y "$l" 2>/dev/null) || { echo held -; exit 0; }',
      'echo "held $(( $(date +%s) - m ))"',
      `printf '%s\n' "$c"`,
    ].join('\n'),
  /**
   * Moves a stale lock aside, atomically; if what it moved is not the stale one (another run
   * took it over meanwhile), puts it back. Prints `moved`, `changed` or `gone`.
   */
  takeOver: (staleToken: string, dir = FABRIC_LOCK_DIR): string =>
    [
      `d=${shellQuote(dir)}; l="$d/fabric.lock"; a="$d/.stale.$$"`,
      'mv "$l" "$a" 2>/dev/null || { echo gone; exit 0; }',
      // an unreadable lock (no token to compare) is moved only if what was moved is still no holder's
      staleToken === ''
        ? `if ! grep -qF '"token":"' "$a"; then rm -f "$a"; echo moved;`
        : `if grep -qF ${shellQuote(`"token":"${staleToken}"`)} "$a"; then rm -f "$a"; echo moved;`,
      'else ln "$a" "$l" 2>/dev/null; rm -f "$a"; echo changed; fi',
    ].join('\n'),
  /** only our own file: `released`, `refreshed`, or `lost` when it is not ours any more */
  release: (token: string, dir = FABRIC_LOCK_DIR): string =>
    `l=${shellQuote(`${dir}/fabric.lock`)}; if grep -qF ${shellQuote(`"token":"${token}"`)} "$l" 2>/dev/null; then rm -f "$l"; echo released; else echo lost; fi`,
  refresh: (token: string, dir = FABRIC_LOCK_DIR): string =>
    `l=${shellQuote(`${dir}/fabric.lock`)}; if grep -qF ${shellQuote(`"token":"${token}"`)} "$l" 2>/dev/null; then touch "$l"; echo refreshed; else echo lost; fi`,
};

/** What a node said when the lock was not free: its holder (undefined: unreadable) and how long since it was refreshed. */
export interface HeldBy {
  node: string;
  holder?: FabricHolder;
  ageS?: number;
}

function parseHeld(node: string, out: string): HeldBy {
  const [first, ...rest] = out.trim().split('\n');
  const age = /^held (\d+|-)$/.exec(first ?? '')?.[1];
  let holder: FabricHolder | undefined;
  try {
    const h = JSON.parse(rest.join('\n')) as FabricHolder;
    if (typeof h.token === 'string' && Number.isInteger(h.pid)) holder = h;
  } catch {
    // a file we cannot read as a holder
  }
  return { node, holder, ageS: age === undefined || age === '-' ? undefined : Number(age) };
}

/** A lock that can be taken over: unreadable, not refreshed for STALE_AFTER_S, or its holder a dead process here. */
function isStale(held: HeldBy, here = hostname()): boolean {
  if (held.ageS === undefined) return false; // gone between our tries: just try again
  if (!held.holder) return true;
  if (held.ageS >= STALE_AFTER_S) return true;
  return held.holder.host === here && !holderIsAlive({ pid: held.holder.pid, start: held.holder.start, host: here });
}

function describeHolder(h: FabricHolder): string {
  return `${h.user}@${h.host} pid ${h.pid} (${h.command}, topology ${h.topology}) since ${h.since}`;
}

/** Thrown when another live run holds the fabric on some node. Exit 1; the message names the holder, its pid and the word lock. */
export class FabricLockedError extends OperationError {
  constructor(readonly held: HeldBy[]) {
    const first = held[0];
    const nodes = held.map((h) => h.node);
    const where = nodes.length <= 3 ? nodes.join(', ') : `${nodes.slice(0, 3).join(', ')} and ${nodes.length - 3} more`;
    super(
      `the fabric is locked on ${where} by another run: ${first.holder ? describeHolder(first.holder) : 'unknown holder'}` +
        `${first.ageS === undefined ? '' : `, refreshed ${first.ageS} s ago`}; wait for it to finish ` +
        `(a lock not refreshed for ${STALE_AFTER_S} s is taken over; lock file ${FABRIC_LOCK_DIR}/fabric.lock on each node)`,
    );
  }
}

/** One node's lock: taken, held by another, failed, or not reachable. */
type Attempt =
  | { node: string; taken: true }
  | { node: string; held: HeldBy }
  | { node: string; failed: string }
  | { node: string; unreachable: string };

/** Takes one node's lock, taking over a stale one; a few tries when it changes hands under us. Undefined: taken. */
export async function takeNodeLock(node: string, conn: NodeConnection, me: FabricHolder, dir = FABRIC_LOCK_DIR): Promise<HeldBy | undefined> {
  let held: HeldBy = { node };
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await conn.exec(lockScripts.take(me, dir), { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`cannot create the fabric lock in ${dir}: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`);
    if (r.stdout.trim() === 'taken') return undefined;
    held = parseHeld(node, r.stdout);
    if (held.ageS === undefined) continue; // released between our two looks
    if (!isStale(held)) return held;
    await conn.exec(lockScripts.takeOver(held.holder?.token ?? '', dir), { timeoutMs: 30_000 });
  }
  return held;
}

export interface HeldFabric {
  /** nodes that could not be reached, so not locked */
  unlocked: string[];
  /** releases every node's lock (ours only); never throws */
  release(): Promise<void>;
}

async function attempt(ctx: FabricContext, node: NodePlan, me: FabricHolder, dir: string): Promise<Attempt> {
  let conn: NodeConnection;
  try {
    conn = await ctx.connect(node);
  } catch (e) {
    return { node: node.name, unreachable: messageOf(e) };
  }
  try {
    const held = await takeNodeLock(node.name, conn, me, dir);
    return held ? { node: node.name, held } : { node: node.name, taken: true };
  } catch (e) {
    return { node: node.name, failed: messageOf(e) };
  }
}

/**
 * Takes the fabric lock on every node of `nodes` (at most ctx.parallel at once). If another
 * run holds any of them (or one cannot be locked), releases those it took and throws.
 */
export async function lockFabric(ctx: FabricContext, nodes: NodePlan[], me: FabricHolder, dir = FABRIC_LOCK_DIR): Promise<HeldFabric> {
  const attempts = new Map<string, Attempt>();
  await eachLimit(nodes, ctx.parallel, async (node) => {
    attempts.set(node.name, await attempt(ctx, node, me, dir));
  });
  const inOrder = nodes.map((n) => attempts.get(n.name)!);
  const taken = nodes.filter((n) => 'taken' in attempts.get(n.name)!);
  // through ctx.connect each time: a connection that dropped during the run is made again
  const onEach = (script: string) => Promise.all(taken.map((n) => ctx.connect(n).then((c) => c.exec(script, { timeoutMs: 15_000 })).catch(() => undefined)));
  const heartbeat = setInterval(() => void onEach(lockScripts.refresh(me.token, dir)), HEARTBEAT_S * 1000);
  heartbeat.unref();
  const release = async (): Promise<void> => {
    clearInterval(heartbeat);
    await onEach(lockScripts.release(me.token, dir));
  };
  const failed = inOrder.find((a): a is Extract<Attempt, { failed: string }> => 'failed' in a);
  const held = inOrder.flatMap((a) => ('held' in a ? [a.held] : []));
  if (failed || held.length > 0) {
    await release();
    if (failed) throw new OperationError(`${failed.node}: ${failed.failed}; nothing was changed`);
    throw new FabricLockedError(held);
  }
  return { unlocked: inOrder.flatMap((a) => ('unreachable' in a ? [a.node] : [])), release };
}
