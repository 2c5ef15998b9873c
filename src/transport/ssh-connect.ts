/**
 * Opening a node's SSH connection: the target from the topology and ~/.ssh/config, its host
 * key checked against known_hosts (the bastion's too), the credentials, the jump host.
 */

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { NodeSSH, type Config } from 'node-ssh';
import { NodeError, messageOf } from '../errors.js';
import { hostPort } from '../topology/host.js';
import { formatJump } from '../topology/jump.js';
import type { Mgmt } from '../topology/types.js';
import { checkHostKey, hostKeyAlgorithms, hostLookupName, parseKnownHosts, type KnownHostEntry } from './known-hosts.js';
import type { NodeConnection } from './node-connection.js';
import { SshNodeConnection } from './ssh-connection.js';
import { readSshConfig, resolveTarget, type SshTarget } from './ssh-config.js';

export interface ConnectOptions {
  readyTimeoutMs?: number; // TCP connect + handshake + auth
  keepaliveIntervalMs?: number; // how soon a dead node is noticed
  /**
   * A channel to the node through its jump host. The pool passes one that shares a single
   * connection per bastion; without it, connectNode opens a bastion connection of its own.
   */
  tunnel?: Tunnel;
  /** ~/.ssh/config's text (tests pass their own); read from the user's home when absent */
  sshConfig?: string;
}

/** Opens a `direct-tcpip` channel to target.host:port through the bastion target.jump. */
type Tunnel = (node: string, target: SshTarget, via: SshTarget, known: KnownHosts) => Promise<Duplex>;

const DEFAULTS = { readyTimeoutMs: 10_000, keepaliveIntervalMs: 5_000 };

/** Open and authenticate one node's connection, verifying its host key (and its bastion's) first. */
export async function connectNode(node: string, mgmt: Mgmt, opts: ConnectOptions = {}): Promise<NodeConnection> {
  const configText = opts.sshConfig ?? readSshConfig();
  const target = resolveTarget(node, mgmt, configText);
  const knownHostsFile = mgmt.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
  const entries = parseKnownHosts(await readKnownHosts(node, knownHostsFile));
  let sock: Duplex | undefined;
  let ownBastion: NodeSSH | undefined;
  if (target.jump) {
    const via = jumpTarget(node, target, mgmt, configText);
    if (opts.tunnel) sock = await opts.tunnel(node, target, via, { entries, file: knownHostsFile });
    else {
      ownBastion = await openSsh(node, via, { entries, file: knownHostsFile }, opts, undefined, 'bastion ');
      sock = await forwardTo(node, ownBastion, target).catch((err) => {
        ownBastion!.dispose();
        throw err;
      });
    }
  }
  const ssh = await openSsh(node, target, { entries, file: knownHostsFile }, opts, sock).catch((err) => {
    ownBastion?.dispose();
    throw err;
  });
  if (ownBastion) ssh.connection?.once('close', () => ownBastion!.dispose());
  const conn = new SshNodeConnection(node, ssh, { sudo: mgmt.sudo === true, user: target.user, host: target.alias });
  if (mgmt.sudo) {
    try {
      await conn.checkSudo();
    } catch (err) {
      await conn.close();
      throw err;
    }
  }
  return conn;
}

/** The bastion as a connection target: its own ~/.ssh/config entry, else the node's user and key. */
export function jumpTarget(node: string, target: SshTarget, mgmt: Mgmt, configText: string | undefined): SshTarget {
  const j = target.jump!;
  const bastion: Mgmt = {
    host: j.host,
    port: j.port ?? 22,
    user: j.user ?? target.user,
    identityFile: mgmt.identityFile,
    defaulted: [...(j.user ? [] : ['user' as const]), ...(j.port ? [] : ['port' as const])],
  };
  const via = resolveTarget(node, bastion, configText);
  // the bastion's own key when its config entry names one, else the node's
  via.identityFile ??= target.identityFile;
  if (via.jump) throw new NodeError(node, `jump host ${formatJump(j)} has a jump host of its own (ProxyJump); cldemo goes through one bastion`);
  return via;
}

export interface KnownHosts {
  entries: KnownHostEntry[];
  file: string;
}

/** One authenticated SSH connection to `target`, over `sock` when given (a tunnel through a bastion). */
export async function openSsh(node: string, target: SshTarget, known: KnownHosts, opts: ConnectOptions, sock?: Duplex, role = ''): Promise<NodeSSH> {
  const where = hostPort(target.host, target.port);
  let hostKeyProblem: string | undefined;
  const config: Config = {
    host: target.host,
    port: target.port,
    username: target.user,
    readyTimeout: opts.readyTimeoutMs ?? DEFAULTS.readyTimeoutMs,
    keepaliveInterval: opts.keepaliveIntervalMs ?? DEFAULTS.keepaliveIntervalMs,
    keepaliveCountMax: 3,
    ...(sock ? { sock: sock as never } : {}),
    ...(await credentials(node, target)),
    hostVerifier: (key: Buffer) => {
      const verdict = checkHostKey(known.entries, target.host, target.port, key);
      if (!verdict.ok) hostKeyProblem = `${role}${describeHostKeyProblem(verdict.reason, verdict.lines, target, known.file)}`;
      return verdict.ok;
    },
  };
  const algorithms = hostKeyAlgorithms(known.entries, target.host, target.port);
  if (algorithms.length > 0) config.algorithms = { serverHostKey: algorithms as never };

  const ssh = new NodeSSH();
  try {
    await ssh.connect(config);
  } catch (err) {
    ssh.dispose();
    const through = sock && !role ? ' (through its jump host)' : '';
    throw new NodeError(node, hostKeyProblem ?? `cannot open SSH to ${role}${target.user}@${where}${through}: ${messageOf(err)}`);
  }
  // Requests here are small and wait for answers; Nagle + delayed ACK cost ~40 ms per channel open.
  ssh.connection?.setNoDelay(true);
  return ssh;
}

/** A `direct-tcpip` channel from the bastion to the node's sshd. */
export function forwardTo(node: string, bastion: NodeSSH, target: SshTarget): Promise<Duplex> {
  const client = bastion.connection;
  if (!client) return Promise.reject(new NodeError(node, 'the jump host connection is closed'));
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, target.host, target.port, (err, channel) => {
      if (err) reject(new NodeError(node, `jump host cannot reach ${hostPort(target.host, target.port)}: ${err.message}`));
      else resolve(channel);
    });
  });
}

async function readKnownHosts(node: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new NodeError(node, `cannot read known_hosts file ${file}: ${messageOf(err)}`);
  }
}

export function describeHostKeyProblem(reason: string, lines: number[], target: SshTarget, file: string): string {
  const name = hostLookupName(target.host, target.port);
  if (reason === 'unknown') {
    const keyscan = `ssh-keyscan -p ${target.port} ${quoted(target.host)} >> ${quoted(file)}`;
    return `host key of ${name} is not in ${file}; refusing to connect (check the key, then add it: ${keyscan})`;
  }
  if (reason === 'revoked') return `host key of ${name} is marked @revoked in ${file}:${lines.join(',')}; refusing to connect`;
  return `host key of ${name} does NOT match ${file}:${lines.join(',')}; refusing to connect (the node was reinstalled, or someone is in the middle)`;
}

/** Always in single quotes, so a pasted line survives spaces and shell characters in paths. */
function quoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The key file the topology (or ~/.ssh/config) names; else the ssh-agent when
 * SSH_AUTH_SOCK is set; else the key files ssh(1) would try.
 */
export async function credentials(node: string, target: Pick<SshTarget, 'identityFile'>, env = process.env): Promise<Partial<Config>> {
  const agent = env.SSH_AUTH_SOCK ? { agent: env.SSH_AUTH_SOCK } : undefined;
  const file = target.identityFile ?? (agent ? undefined : defaultIdentity());
  // ssh2 would ask with method `none` first, a round trip every login spends to hear the
  // methods the server takes; a key (or the agent's keys) is offered at once instead
  if (!file) return agent ? { ...agent, authHandler: ['agent'] } : {};
  try {
    return { ...agent, privateKey: await readFile(file, 'utf8'), authHandler: agent ? ['publickey', 'agent'] : ['publickey'] };
  } catch (err) {
    throw new NodeError(node, `cannot read SSH identity file ${file}: ${messageOf(err)}`);
  }
}

function defaultIdentity(): string | undefined {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f)).find((f) => existsSync(f));
}

