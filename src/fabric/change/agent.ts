/**
 * Redistribute-neighbor on a leaf, by its platform's strategy: started, told to reread its
 * config, stopped. The project's own agent (src/rdnbrd) is shipped to switches of a platform
 * without rdnbrd: its files go to a directory named by their content hash, written under a
 * temporary name and renamed, so an unchanged agent costs one `test` and two switches that
 * share a filesystem never see a half-written copy.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeError, OperationError } from '../../errors.js';
import { shellQuote } from '../../transport/shell.js';
import type { NodeConnection } from '../../transport/node-connection.js';
import { AGENT_ROOT, parseAgentState } from '../../platforms/agents.js';
import type { AgentStrategy } from '../../platforms/index.js';
import type { Change } from './changes.js';
import type { FabricContext } from '../context.js';
import { runRemote } from '../remote.js';

export interface AgentBundle {
  hash: string;
  /** file name -> content */
  files: Map<string, string>;
}

// src/fabric/change and dist/fabric/change both sit three levels below the package root; the agent ships built.
const DEFAULT_AGENT_BUILD = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'rdnbrd');

export function loadAgentBundle(dir = DEFAULT_AGENT_BUILD): AgentBundle {
  if (!existsSync(join(dir, 'main.js'))) {
    throw new OperationError(`the rdnbrd agent is not built (${dir}/main.js is missing): run npm run build`);
  }
  const files = new Map<string, string>();
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.js')).sort()) files.set(name, readFileSync(join(dir, name), 'utf8'));
  // the agent is ESM; without this Node 20 reads *.js as CommonJS
  files.set('package.json', '{ "type": "module" }\n');
  const hash = createHash('sha256');
  for (const [name, text] of files) hash.update(`${name}\0${text}\0`);
  return { hash: hash.digest('hex').slice(0, 16), files };
}

function agentDir(bundle: AgentBundle): string {
  return `${AGENT_ROOT}/rdnbrd-${bundle.hash}`;
}

async function isAgentInstalled(conn: NodeConnection, bundle: AgentBundle): Promise<boolean> {
  return (await runRemote(conn, `test -f ${shellQuote(`${agentDir(bundle)}/main.js`)}`, { okStatus: [1] })).status === 0;
}

/** Uploads the agent unless this build is already there; true when it uploaded. */
async function installAgent(conn: NodeConnection, bundle: AgentBundle): Promise<boolean> {
  if (await isAgentInstalled(conn, bundle)) return false;
  const dir = agentDir(bundle);
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  // root's alone: the agent runs as root from here
  await runRemote(conn, `umask 077 && mkdir -p ${shellQuote(tmp)}`, { what: `creating ${tmp}` });
  await Promise.all([...bundle.files].map(([name, text]) => conn.putFile(text, `${tmp}/${name}`, 0o600)));
  // a concurrent installer may have won the rename: its copy is identical, so ours goes
  const rename = `mv -T ${shellQuote(tmp)} ${shellQuote(dir)} 2>/dev/null || { rm -rf ${shellQuote(tmp)}; test -f ${shellQuote(`${dir}/main.js`)}; }`;
  await runRemote(conn, rename, { what: `installing the agent in ${dir}` });
  return true;
}

/** What an ensure script's answer says was done. */
const ENSURED = { started: 'start', restarted: 'restart', reloaded: 'reload' } as const;

/** Redistribute-neighbor runs on the node, rereading its config when `configChanged`; cldemo's own agent uploaded first. */
export async function ensureAgent(ctx: FabricContext, conn: NodeConnection, strategy: AgentStrategy, configChanged: boolean, bundle?: AgentBundle): Promise<Change[]> {
  const changes: Change[] = [];
  let dir: string | undefined;
  if (strategy.shipped) {
    if (!bundle) throw new NodeError(conn.node, 'its platform runs cldemo\'s agent, and no agent bundle was given');
    ctx.progress({ kind: 'step', node: conn.node, doing: 'redistribute-neighbor agent' });
    if (await installAgent(conn, bundle)) changes.push({ type: 'agent', action: 'upload', dir: agentDir(bundle) });
    dir = agentDir(bundle);
  }
  const outcome = parseAgentState(conn.node, (await runRemote(conn, strategy.ensure(dir, configChanged), { what: 'starting rdnbrd' })).stdout);
  if (outcome === 'running') return changes;
  if (!(outcome in ENSURED)) throw new NodeError(conn.node, `the rdnbrd script answered ${outcome} when asked to start it`);
  return [...changes, { type: 'agent', action: ENSURED[outcome as keyof typeof ENSURED] }];
}

/** What ensureAgent would do, asked without changing anything. */
export async function agentWouldChange(conn: NodeConnection, strategy: AgentStrategy, configChanged: boolean, bundle?: AgentBundle): Promise<Change[]> {
  const would: Change[] = [];
  if (strategy.shipped && bundle && !(await isAgentInstalled(conn, bundle))) would.push({ type: 'agent', action: 'upload', dir: agentDir(bundle) });
  const status = parseAgentState(conn.node, (await runRemote(conn, strategy.status(), { what: 'asking whether rdnbrd runs' })).stdout);
  if (status !== 'running') would.push({ type: 'agent', action: 'start' });
  else if (configChanged || would.length > 0) would.push({ type: 'agent', action: 'reload' });
  return would;
}

/** Stops the agent (it withdraws its routes); a change only when it ran. */
export async function stopAgent(ctx: FabricContext, conn: NodeConnection, strategy: AgentStrategy): Promise<Change[]> {
  ctx.progress({ kind: 'step', node: conn.node, doing: 'stopping rdnbrd' });
  const outcome = parseAgentState(conn.node, (await runRemote(conn, strategy.stop(), { what: 'stopping rdnbrd' })).stdout);
  return outcome === 'stopped' ? [{ type: 'agent', action: 'stop' }] : [];
}
