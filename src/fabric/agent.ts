/**
 * The project's redistribute-neighbor agent (src/rdnbrd), shipped to switches of a platform
 * without rdnbrd. Its files go to a directory named by their content hash, written under a
 * temporary name and renamed, so an unchanged agent costs one `test` and two switches that
 * share a filesystem never see a half-written copy.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationError } from '../errors.js';
import { shellQuote } from '../transport/shell.js';
import type { NodeConnection } from '../transport/ssh.js';
import { AGENT_ROOT } from '../platforms/agents.js';
import { runRemote } from './remote.js';

export interface AgentBundle {
  hash: string;
  /** file name -> content */
  files: Map<string, string>;
}

// src/fabric and dist/fabric both sit two levels below the package root; the agent ships built.
export const DEFAULT_AGENT_BUILD = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'rdnbrd');

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

export function agentDir(bundle: AgentBundle): string {
  return `${AGENT_ROOT}/rdnbrd-${bundle.hash}`;
}

export async function isAgentInstalled(conn: NodeConnection, bundle: AgentBundle): Promise<boolean> {
  return (await runRemote(conn, `test -f ${shellQuote(`${agentDir(bundle)}/main.js`)}`, { okStatus: [1] })).status === 0;
}

/** Uploads the agent unless this build is already there; true when it uploaded. */
export async function installAgent(conn: NodeConnection, bundle: AgentBundle): Promise<boolean> {
  if (await isAgentInstalled(conn, bundle)) return false;
  const dir = agentDir(bundle);
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  // root's alone: the agent runs as root from here
  await runRemote(conn, `umask 077 && mkdir -p ${shellQuote(tmp)}`, { what: `creating ${tmp}` });
  await Promise.all([...bundle.files].map(([name, text]) => conn.putFile(text, `${tmp}/${name}`, 0o600)));
  // a concurrent installer may have won the rename: its copy is identical, so ours goes
  await runRemote(conn, `mv -T ${shellQuote(tmp)} ${shellQuote(dir)} 2>/dev/null || { rm -rf ${shellQuote(tmp)}; test -f ${shellQuote(`${dir}/main.js`)}; }`, { what: `installing the agent in ${dir}` });
  return true;
}
