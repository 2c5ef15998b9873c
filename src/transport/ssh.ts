/**
 * One SSH connection per node, opened once and reused for every command, file and Docker
 * API call. The only module (with docker.ts) that touches node-ssh and ssh2.
 */

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { NodeSSH, type Config } from 'node-ssh';
import type Docker from 'dockerode';
import type { SFTPWrapper } from 'ssh2';
import { NodeError } from '../errors.js';
import type { Mgmt } from '../topology/types.js';
import { checkHostKey, hostKeyAlgorithms, hostLookupName, parseKnownHosts } from './known-hosts.js';
import { shellQuote } from './shell.js';
import { DEFAULT_DOCKER_SOCKET, dockerOverSsh, type StreamLocalAgent } from './docker.js';

export interface ExecResult {
  code: number; // the command's exit status; -1 when a signal ended it
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  /** the node kills the command (and its children) after this long, and exec throws a NodeError saying so */
  timeoutMs?: number;
}

/** What the rest of cldemo sees of a node. Small on purpose: unit tests fake it. */
export interface NodeConnection {
  readonly node: string;
  /** Runs `command` through the remote user's shell. A non-zero exit is a result, not an error. */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  putFile(content: string | Buffer, remotePath: string, mode?: number): Promise<void>;
  /** The file's content, or null when it does not exist. */
  getFile(remotePath: string): Promise<string | null>;
  /** dockerode talking to the node's Docker socket through this connection. */
  docker(socketPath?: string): Docker;
  close(): Promise<void>;
}

export interface ConnectOptions {
  readyTimeoutMs?: number; // TCP connect + handshake + auth
  keepaliveIntervalMs?: number; // how soon a dead node is noticed
}

const TIMEOUT_EXIT_CODE = 124; // what timeout(1) exits with when the limit hit
const TIMEOUT_KILL_AFTER_S = 2; // SIGTERM first, SIGKILL this long after
const LOCAL_GRACE_MS = TIMEOUT_KILL_AFTER_S * 1000 + 3000;

const DEFAULTS: Required<ConnectOptions> = { readyTimeoutMs: 10_000, keepaliveIntervalMs: 5_000 };

/** Open and authenticate one node's connection, verifying its host key first. */
export async function connectNode(node: string, mgmt: Mgmt, opts: ConnectOptions = {}): Promise<NodeConnection> {
  const settings = { ...DEFAULTS, ...opts };
  const knownHostsFile = mgmt.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
  const entries = parseKnownHosts(await readKnownHosts(node, knownHostsFile));
  const where = `${mgmt.host}:${mgmt.port}`;
  let hostKeyProblem: string | undefined;

  const config: Config = {
    host: mgmt.host,
    port: mgmt.port,
    username: mgmt.user,
    readyTimeout: settings.readyTimeoutMs,
    keepaliveInterval: settings.keepaliveIntervalMs,
    keepaliveCountMax: 3,
    ...(await credentials(node, mgmt)),
    hostVerifier: (key: Buffer) => {
      const verdict = checkHostKey(entries, mgmt.host, mgmt.port, key);
      if (!verdict.ok) hostKeyProblem = describeHostKeyProblem(verdict.reason, verdict.lines, mgmt, knownHostsFile);
      return verdict.ok;
    },
  };
  const algorithms = hostKeyAlgorithms(entries, mgmt.host, mgmt.port);
  if (algorithms.length > 0) config.algorithms = { serverHostKey: algorithms as never };

  const ssh = new NodeSSH();
  try {
    await ssh.connect(config);
  } catch (err) {
    ssh.dispose();
    throw new NodeError(node, hostKeyProblem ?? `cannot open SSH to ${mgmt.user}@${where}: ${messageOf(err)}`);
  }
  // Requests here are small and wait for answers; Nagle + delayed ACK cost ~40 ms per channel open.
  ssh.connection?.setNoDelay(true);
  return new SshNodeConnection(node, ssh);
}

async function readKnownHosts(node: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new NodeError(node, `cannot read known_hosts file ${file}: ${messageOf(err)}`);
  }
}

function describeHostKeyProblem(reason: string, lines: number[], mgmt: Mgmt, file: string): string {
  const name = hostLookupName(mgmt.host, mgmt.port);
  if (reason === 'unknown') {
    return `host key of ${name} is not in ${file}; refusing to connect (check the key, then add it: ssh-keyscan -p ${mgmt.port} ${mgmt.host} >> ${file})`;
  }
  if (reason === 'revoked') return `host key of ${name} is marked @revoked in ${file}:${lines.join(',')}; refusing to connect`;
  return `host key of ${name} does NOT match ${file}:${lines.join(',')}; refusing to connect (the node was reinstalled, or someone is in the middle)`;
}

/** The key file the topology names, else the ones ssh(1) would try, plus the agent. */
async function credentials(node: string, mgmt: Mgmt): Promise<Partial<Config>> {
  const agent = process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {};
  const file = mgmt.identityFile ?? defaultIdentity();
  if (!file) return agent;
  try {
    return { ...agent, privateKey: await readFile(file, 'utf8') };
  } catch (err) {
    throw new NodeError(node, `cannot read SSH identity file ${file}: ${messageOf(err)}`);
  }
}

function defaultIdentity(): string | undefined {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f)).find((f) => existsSync(f));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class SshNodeConnection implements NodeConnection {
  readonly node: string;
  private readonly ssh: NodeSSH;
  private sftp?: Promise<SFTPWrapper>;
  private readonly dockers = new Map<string, { docker: Docker; agent: StreamLocalAgent }>();
  private closed = false;

  constructor(node: string, ssh: NodeSSH) {
    this.node = node;
    this.ssh = ssh;
    ssh.connection?.on('close', () => {
      this.closed = true;
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.ssh.isConnected();
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const { timeoutMs } = opts;
    if (!timeoutMs) return this.run(command, opts.stdin);
    // The node enforces the limit itself (timeout(1) signals the command's whole process
    // group): closing an SSH session channel does not stop the process behind it.
    const seconds = (timeoutMs / 1000).toFixed(3);
    const wrapped = `timeout -k ${TIMEOUT_KILL_AFTER_S} ${seconds} sh -c ${shellQuote(command)}`;
    const timedOut = () => new NodeError(this.node, `timed out after ${timeoutMs} ms: ${command}`);
    // ...and we stop waiting if the node itself stops answering.
    const res = await withTimeout(this.run(wrapped, opts.stdin), timeoutMs + LOCAL_GRACE_MS, timedOut);
    if (res.code === TIMEOUT_EXIT_CODE) throw timedOut();
    return res;
  }

  private run(command: string, stdin?: string | Buffer): Promise<ExecResult> {
    return this.ssh
      .execCommand(command, {
        stdin: stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]),
        noTrim: true,
      })
      .then((res) => ({ code: res.code ?? -1, stdout: res.stdout, stderr: res.stderr }))
      .catch((err: unknown) => {
        throw new NodeError(this.node, `cannot run ${JSON.stringify(command)}: ${messageOf(err)}`);
      });
  }

  async putFile(content: string | Buffer, remotePath: string, mode?: number): Promise<void> {
    const sftp = await this.sftpSession();
    await new Promise<void>((resolve, reject) => {
      sftp.writeFile(remotePath, content, mode === undefined ? {} : { mode }, (err) =>
        err ? reject(new NodeError(this.node, `cannot write ${remotePath}: ${err.message}`)) : resolve(),
      );
    });
    // writeFile's mode applies only to a new file; an existing one keeps its old mode.
    if (mode !== undefined) {
      await new Promise<void>((resolve, reject) => {
        sftp.chmod(remotePath, mode, (err) =>
          err ? reject(new NodeError(this.node, `cannot chmod ${remotePath}: ${err.message}`)) : resolve(),
        );
      });
    }
  }

  async getFile(remotePath: string): Promise<string | null> {
    const sftp = await this.sftpSession();
    return new Promise((resolve, reject) => {
      sftp.readFile(remotePath, (err, data) => {
        if (!err) resolve(data.toString('utf8'));
        else if ((err as Error & { code?: unknown }).code === 2) resolve(null); // SSH_FX_NO_SUCH_FILE
        else reject(new NodeError(this.node, `cannot read ${remotePath}: ${err.message}`));
      });
    });
  }

  /** One SFTP session per connection: each would otherwise cost a channel and a subsystem start. */
  private sftpSession(): Promise<SFTPWrapper> {
    this.sftp ??= this.ssh.requestSFTP().catch((err) => {
      this.sftp = undefined;
      throw new NodeError(this.node, `cannot start SFTP: ${messageOf(err)}`);
    });
    return this.sftp;
  }

  docker(socketPath = DEFAULT_DOCKER_SOCKET): Docker {
    let entry = this.dockers.get(socketPath);
    if (!entry) {
      if (!this.ssh.connection) throw new NodeError(this.node, 'SSH connection is closed');
      entry = dockerOverSsh(this.node, this.ssh.connection, socketPath);
      this.dockers.set(socketPath, entry);
    }
    return entry.docker;
  }

  /** Channels opened to the Docker socket; fewer than API calls means keep-alive reuse. */
  dockerChannelsOpened(): number {
    return [...this.dockers.values()].reduce((n, d) => n + d.agent.channelsOpened, 0);
  }

  async close(): Promise<void> {
    if (this.closed && !this.ssh.connection) return;
    this.closed = true;
    for (const { agent } of this.dockers.values()) agent.destroy();
    this.dockers.clear();
    const sftp = this.sftp;
    this.sftp = undefined;
    if (sftp) await sftp.then((s) => s.end()).catch(() => undefined);
    this.ssh.dispose();
  }
}

/**
 * The connections of one cldemo run, keyed by node name. Concurrent `get`s of one node
 * share its handshake; a failed connect is forgotten so a later `get` tries again.
 */
export class ConnectionPool {
  private readonly opts: ConnectOptions;
  private readonly connections = new Map<string, Promise<NodeConnection>>();
  private readonly connect: typeof connectNode;
  /** handshakes started; the point of the pool is that this stays at one per node */
  handshakes = 0;

  constructor(opts: ConnectOptions = {}, connect: typeof connectNode = connectNode) {
    this.opts = opts;
    this.connect = connect;
  }

  get(node: string, mgmt: Mgmt): Promise<NodeConnection> {
    const existing = this.connections.get(node);
    if (existing) return existing.then((c) => (isStale(c) ? this.reconnect(node, mgmt) : c));
    return this.reconnect(node, mgmt);
  }

  private reconnect(node: string, mgmt: Mgmt): Promise<NodeConnection> {
    this.handshakes += 1;
    const pending = this.connect(node, mgmt, this.opts);
    this.connections.set(node, pending);
    pending.catch(() => {
      if (this.connections.get(node) === pending) this.connections.delete(node);
    });
    return pending;
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  work.catch(() => undefined); // a late failure after the timeout has nobody to tell
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function isStale(c: NodeConnection): boolean {
  return c instanceof SshNodeConnection && !c.isOpen;
}
