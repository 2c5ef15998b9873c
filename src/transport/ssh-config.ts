/**
 * The user's ~/.ssh/config, read with the `ssh-config` package the way ssh(1) reads it
 * (first value wins, `Host` patterns, `Match host/user`): HostName, User, Port,
 * IdentityFile and ProxyJump of a node's `mgmt.host`. The topology wins over the file, as
 * ssh's command line wins over its config. `Match exec` is not run (never true here).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { NodeError } from '../errors.js';
import { parseJump, type JumpHost } from '../topology/jump.js';
import type { Mgmt } from '../topology/types.js';

/** Where ssh(1) reads the user's configuration. */
function userSshConfigFile(): string {
  return join(homedir(), '.ssh', 'config');
}

/** The file's text, or undefined when there is none. */
export function readSshConfig(file = userSshConfigFile()): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** What cldemo connects to once the topology and ~/.ssh/config are combined. */
export interface SshTarget {
  /** the name the topology gave (an alias, or the address itself) */
  alias: string;
  host: string;
  port: number;
  user: string;
  identityFile?: string;
  jump?: JumpHost;
}

/**
 * Applies `configText` to `mgmt` (pure). Only what the topology left open is taken from
 * the file: user and port when `mgmt.defaulted` names them, the key and the jump host
 * when the topology names none. HostName always applies (the topology gave an alias).
 */
export function resolveTarget(node: string, mgmt: Mgmt, configText: string | undefined, home = homedir()): SshTarget {
  const base: SshTarget = { alias: mgmt.host, host: mgmt.host, port: mgmt.port, user: mgmt.user, identityFile: mgmt.identityFile, jump: mgmt.jump };
  if (!configText) return base;
  const defaulted = new Set(mgmt.defaulted ?? []);
  const query = defaulted.has('user') ? mgmt.host : { Host: mgmt.host, User: mgmt.user };
  const c = lower(SSHConfig.parse(configText).compute(query as string, { ignoreCase: true, matchExec: false }));
  const host = one(c.hostname) ? expandTokens(one(c.hostname)!, { h: mgmt.host, d: home }) : mgmt.host;
  const user = defaulted.has('user') && one(c.user) ? one(c.user)! : mgmt.user;
  const port = defaulted.has('port') && one(c.port) ? portOf(node, one(c.port)!) : mgmt.port;
  const file = (Array.isArray(c.identityfile) ? c.identityfile : c.identityfile ? [c.identityfile] : [])[0];
  const identityFile = mgmt.identityFile ?? (file ? expandTokens(file, { h: host, d: home, r: user, u: user }) : undefined);
  let jump = mgmt.jump;
  const proxyJump = one(c.proxyjump);
  if (!jump && proxyJump && proxyJump.toLowerCase() !== 'none') {
    if (proxyJump.includes(',')) throw new NodeError(node, `ProxyJump ${proxyJump} in ~/.ssh/config has more than one hop; cldemo goes through one bastion`);
    jump = parseJump(proxyJump) ?? undefined;
    if (!jump) throw new NodeError(node, `ProxyJump ${JSON.stringify(proxyJump)} in ~/.ssh/config is not [user@]host[:port]`);
  }
  return { alias: mgmt.host, host, port, user, identityFile, jump };
}

function lower(c: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k.toLowerCase(), v]));
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function portOf(node: string, text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NodeError(node, `Port ${text} in ~/.ssh/config is not a port number`);
  return port;
}

/** ssh_config(5)'s `~` and the %-tokens that make sense here (%h host, %d home, %r/%u user, %%). */
function expandTokens(text: string, values: Record<string, string>): string {
  return text.replace(/^~(?=\/|$)/, values.d).replace(/%([%a-z])/g, (m, k: string) => (k === '%' ? '%' : (values[k] ?? m)));
}
