/**
 * One SSH connection per node, opened once and reused for every command, file and Docker
 * API call. The only module (with docker.ts) that touches node-ssh and ssh2.
 */

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Duplex } from 'node:stream';
import { NodeSSH, type Config } from 'node-ssh';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { NodeError, messageOf } from '../errors.js';
import { hostPort } from '../topology/host.js';
import { formatJump } from '../topology/jump.js';
import type { Mgmt } from '../topology/types.js';
import { checkHostKey, hostKeyAlgorithms, hostLookupName, parseKnownHosts, type KnownHostEntry } from './known-hosts.js';
import { shellQuote } from './shell.js';
import { readSshConfig, resolveTarget, type SshTarget } from './ssh-config.js';
import { DEFAULT_DOCKER_SOCKET, dockerOverSsh, type DockerodeEngine, type DockerRoute } from './docker.js';
import type { DockerEngine } from './docker-engine.js';

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
  /** The node's Docker engine, reached through this connection. */
  docker(socketPath?: string): DockerEngine;
  /**
   * Runs a long-lived command (a monitor) and hands on its output line by line until it
   * exits or `stop` is called. Optional: unit-test fakes of one-shot commands leave it out.
   */
  stream?(command: string, onLine: (line: string) => void): LineStream;
  close(): Promise<void>;
}

export interface LineStream {
  /** the command's exit status once it ends (-1 when stopped or signalled) */
  done: Promise<number>;
  /** ends the command: its terminal hangs up, so the process behind it goes too */
  stop(): void;
}

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
export type Tunnel = (node: string, target: SshTarget, via: SshTarget, known: KnownHosts) => Promise<Duplex>;

const TIMEOUT_EXIT_CODE = 124; // what timeout(1) exits with when the limit hit
const TIMEOUT_KILL_AFTER_S = 2; // SIGTERM first, SIGKILL this long after
const LOCAL_GRACE_MS = TIMEOUT_KILL_AFTER_S * 1000 + 3000;
/** the longest any command without its own timeout is waited for */
const DEFAULT_EXEC_LIMIT_MS = 300_000;
const NO_SUCH_FILE = 44; // getFile's exit code under sudo when the file is missing

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
async function openSsh(node: string, target: SshTarget, known: KnownHosts, opts: ConnectOptions, sock?: Duplex, role = ''): Promise<NodeSSH> {
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
function forwardTo(node: string, bastion: NodeSSH, target: SshTarget): Promise<Duplex> {
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
  if (!file) return agent ?? {};
  try {
    return { ...agent, privateKey: await readFile(file, 'utf8') };
  } catch (err) {
    throw new NodeError(node, `cannot read SSH identity file ${file}: ${messageOf(err)}`);
  }
}

function defaultIdentity(): string | undefined {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f)).find((f) => existsSync(f));
}

/** The sudoers line cldemo needs for `user`, and where it goes. */
export function sudoersHint(user: string): string {
  return `add '${user} ALL=(root) NOPASSWD: ALL' to /etc/sudoers.d/cldemo (visudo -f /etc/sudoers.d/cldemo)`;
}

interface Privilege {
  sudo: boolean;
  user: string; // who logs in (for messages)
  host: string; // as the topology names it (for messages)
}

class SshNodeConnection implements NodeConnection {
  readonly node: string;
  private readonly ssh: NodeSSH;
  private readonly privilege: Privilege;
  private sftp?: Promise<SFTPWrapper>;
  private uploadDir?: Promise<string>;
  private uploads = 0;
  private dockerRoute: DockerRoute = 'socket';
  private readonly dockers = new Map<string, DockerodeEngine>();
  private closed = false;

  constructor(node: string, ssh: NodeSSH, privilege: Privilege = { sudo: false, user: 'root', host: node }) {
    this.node = node;
    this.ssh = ssh;
    this.privilege = privilege;
    // an error on the connection itself (reset, keepalive timeout) is fatal; 'close' may come later
    ssh.connection?.on('close', () => {
      this.closed = true;
    });
    ssh.connection?.on('error', () => {
      this.closed = true;
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.ssh.isConnected();
  }

  /**
   * Before anything runs: sudo must work without a password (else the node fails here,
   * untouched), and the Docker socket decides how the Docker API is reached: straight
   * through a stream-local channel when this user may open it, else through
   * `sudo docker system dial-stdio`.
   */
  async checkSudo(): Promise<void> {
    const { user, host } = this.privilege;
    const probe = `sudo -n true 2>&1; echo "sudo=$?"; if [ -S ${DEFAULT_DOCKER_SOCKET} ] && ! { [ -r ${DEFAULT_DOCKER_SOCKET} ] && [ -w ${DEFAULT_DOCKER_SOCKET} ]; }; then echo docker=dial-stdio; fi`;
    const r = await this.run(probe);
    const code = /sudo=(\d+)/.exec(r.stdout)?.[1];
    const said = r.stdout.replace(/sudo=\d+[\s\S]*$/, '').trim().split('\n').pop() ?? '';
    if (code === '127' || /sudo: (command )?not found/.test(said)) {
      throw new NodeError(this.node, `sudo is not installed on ${user}@${host}, and ssh.sudo is set; install it, then ${sudoersHint(user)}; nothing was changed`);
    }
    if (code !== '0') {
      const why = /password is required|terminal is required|askpass/.test(said) ? 'asks for a password' : `failed (${said || `exit ${code ?? r.code}`})`;
      throw new NodeError(this.node, `sudo -n on ${user}@${host} ${why}; cldemo runs every command through sudo -n: ${sudoersHint(user)}; nothing was changed`);
    }
    if (/docker=dial-stdio/.test(r.stdout)) this.dockerRoute = 'dial-stdio';
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const { timeoutMs } = opts;
    // without a limit of its own a command still may not outwait a node that stopped answering
    if (!timeoutMs) {
      const noAnswer = () => new NodeError(this.node, `no answer after ${DEFAULT_EXEC_LIMIT_MS / 1000} s: ${command}`);
      return withTimeout(this.run(this.privileged(command), opts.stdin), DEFAULT_EXEC_LIMIT_MS, noAnswer);
    }
    // The node enforces the limit itself (timeout(1) signals the command's whole process
    // group): closing an SSH session channel does not stop the process behind it.
    const seconds = (timeoutMs / 1000).toFixed(3);
    const wrapped = `timeout -k ${TIMEOUT_KILL_AFTER_S} ${seconds} sh -c ${shellQuote(command)}`;
    const timedOut = () => new NodeError(this.node, `timed out after ${timeoutMs} ms: ${command}`);
    // ...and we stop waiting if the node itself stops answering.
    const res = await withTimeout(this.run(this.privileged(wrapped), opts.stdin), timeoutMs + LOCAL_GRACE_MS, timedOut);
    if (res.code === TIMEOUT_EXIT_CODE) throw timedOut();
    return res;
  }

  /** As root: the command itself, or through `sudo -n` (never prompts) for a user with sudo. */
  private privileged(command: string): string {
    return this.privilege.sudo ? `sudo -n -- sh -c ${shellQuote(command)}` : command;
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

  stream(command: string, onLine: (line: string) => void): LineStream {
    let channel: ClientChannel | undefined;
    let stopped = false;
    const done = new Promise<number>((resolve, reject) => {
      const client = this.ssh.connection;
      if (!client) return reject(new NodeError(this.node, 'SSH connection is closed'));
      // a terminal: the command's output is line-buffered, and closing the channel hangs it up
      // through sudo too, like every command; hanging up the terminal reaches the command behind sudo
      client.exec(this.privileged(command), { pty: { term: 'dumb', cols: 1000, rows: 24 } }, (err, ch) => {
        if (err) return reject(new NodeError(this.node, `cannot run ${JSON.stringify(command)}: ${messageOf(err)}`));
        channel = ch;
        if (stopped) ch.close();
        let rest = '';
        ch.on('data', (data: Buffer) => {
          const lines = (rest + data.toString('utf8')).split('\n');
          rest = lines.pop() ?? '';
          for (const l of lines) onLine(l.replace(/\r$/, ''));
        });
        ch.stderr.on('data', () => undefined);
        ch.on('close', (code: number | null) => {
          if (rest) onLine(rest.replace(/\r$/, ''));
          resolve(typeof code === 'number' ? code : -1);
        });
      });
    });
    return {
      done,
      stop: () => {
        stopped = true;
        channel?.close();
      },
    };
  }

  async putFile(content: string | Buffer, remotePath: string, mode?: number): Promise<void> {
    if (this.privilege.sudo) return this.putFileWithSudo(content, remotePath, mode);
    await this.sftpWrite(content, remotePath, mode);
    // writeFile's mode applies only to a new file; an existing one keeps its old mode.
    if (mode !== undefined) await this.sftpChmod(remotePath, mode);
  }

  /**
   * The user writes a temporary file of its own (in a private directory), and sudo copies
   * it into place: `cp` onto an existing file keeps its owner and mode, as an SFTP write
   * as root does; a new file gets `mode`, else 0644.
   */
  private async putFileWithSudo(content: string | Buffer, remotePath: string, mode?: number): Promise<void> {
    const dir = await this.privateUploadDir();
    this.uploads += 1;
    const tmp = `${dir}/${this.uploads}`;
    await this.sftpWrite(content, tmp, 0o600);
    await this.sftpChmod(tmp, mode ?? 0o644);
    const chmod = mode === undefined ? '' : ` && chmod ${mode.toString(8)} ${shellQuote(remotePath)}`;
    const install = `sudo -n -- sh -c ${shellQuote(`cp -- ${shellQuote(tmp)} ${shellQuote(remotePath)}${chmod}`)}`;
    const r = await this.run(`${install}; rc=$?; rm -f ${shellQuote(tmp)}; exit $rc`);
    if (r.code !== 0) throw new NodeError(this.node, `cannot write ${remotePath}: ${(r.stderr || r.stdout).trim()}`);
  }

  private privateUploadDir(): Promise<string> {
    this.uploadDir ??= this.run('mktemp -d "${TMPDIR:-/tmp}/cldemo-upload.XXXXXXXX"').then((r) => {
      if (r.code !== 0) throw new NodeError(this.node, `cannot create a temporary directory for uploads: ${r.stderr.trim()}`);
      return r.stdout.trim();
    });
    this.uploadDir.catch(() => {
      this.uploadDir = undefined;
    });
    return this.uploadDir;
  }

  private async sftpWrite(content: string | Buffer, remotePath: string, mode?: number): Promise<void> {
    const sftp = await this.sftpSession();
    await new Promise<void>((resolve, reject) => {
      sftp.writeFile(remotePath, content, mode === undefined ? {} : { mode }, (err) =>
        err ? reject(new NodeError(this.node, `cannot write ${remotePath}: ${err.message}`)) : resolve(),
      );
    });
  }

  private async sftpChmod(remotePath: string, mode: number): Promise<void> {
    const sftp = await this.sftpSession();
    await new Promise<void>((resolve, reject) => {
      sftp.chmod(remotePath, mode, (err) => (err ? reject(new NodeError(this.node, `cannot chmod ${remotePath}: ${err.message}`)) : resolve()));
    });
  }

  async getFile(remotePath: string): Promise<string | null> {
    if (this.privilege.sudo) {
      const r = await this.exec(`[ -e ${shellQuote(remotePath)} ] || exit ${NO_SUCH_FILE}; cat -- ${shellQuote(remotePath)}`);
      if (r.code === NO_SUCH_FILE) return null;
      if (r.code !== 0) throw new NodeError(this.node, `cannot read ${remotePath}: ${r.stderr.trim()}`);
      return r.stdout;
    }
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

  docker(socketPath = DEFAULT_DOCKER_SOCKET): DockerodeEngine {
    let engine = this.dockers.get(socketPath);
    if (!engine) {
      if (!this.ssh.connection) throw new NodeError(this.node, 'SSH connection is closed');
      const route = socketPath === DEFAULT_DOCKER_SOCKET ? this.dockerRoute : 'socket';
      engine = dockerOverSsh(this.node, this.ssh.connection, socketPath, route);
      this.dockers.set(socketPath, engine);
    }
    return engine;
  }

  /** How the Docker API is reached: `socket` (stream-local) or `dial-stdio` (sudo docker system dial-stdio). */
  get dockerVia(): DockerRoute {
    return this.dockerRoute;
  }

  async close(): Promise<void> {
    if (this.closed && !this.ssh.connection) return;
    const uploads = this.uploadDir;
    this.uploadDir = undefined;
    if (uploads && this.isOpen) {
      const dir = await uploads.catch(() => undefined);
      if (dir) await withTimeout(this.run(`rm -rf ${shellQuote(dir)}`), 5000, () => new NodeError(this.node, `timed out removing ${dir}`)).catch(() => undefined);
    }
    this.closed = true;
    for (const engine of this.dockers.values()) engine.destroy();
    this.dockers.clear();
    const sftp = this.sftp;
    this.sftp = undefined;
    if (sftp) await sftp.then((s) => s.end()).catch(() => undefined);
    this.ssh.dispose();
  }
}

/**
 * The connections of one cldemo run, keyed by node name. Every `get` of a node shares one
 * handshake: concurrent `get`s of a new node, and of a node whose connection dropped (the
 * first `get` to see the drop reconnects, the others wait for that same connection). A failed
 * connect is forgotten so a later `get` tries again. `closeAll` closes every connection the
 * pool opened, those still in their handshake included, and the pool takes no more `get`s.
 */
export class ConnectionPool {
  private readonly opts: ConnectOptions;
  private readonly connections = new Map<string, Promise<NodeConnection>>();
  /** the latest connection each node's `get` resolved to, to tell a dropped one synchronously */
  private readonly opened = new Map<string, NodeConnection>();
  /** every connect started and not yet closed, whichever node it is now for: closeAll closes them all */
  private readonly live = new Set<Promise<NodeConnection>>();
  /** one connection per jump host, shared by every node behind it */
  private readonly bastions = new Map<string, Promise<NodeSSH>>();
  private readonly liveBastions = new Set<Promise<NodeSSH>>();
  private readonly connect: typeof connectNode;
  private closed = false;
  /** handshakes started; the point of the pool is that this stays at one per node */
  handshakes = 0;
  /** handshakes with jump hosts: one per bastion, however many nodes sit behind it */
  bastionHandshakes = 0;

  constructor(opts: ConnectOptions = {}, connect: typeof connectNode = connectNode) {
    this.opts = { ...opts, tunnel: opts.tunnel ?? ((node, target, via, known) => this.tunnel(node, target, via, known)) };
    this.connect = connect;
  }

  async get(node: string, mgmt: Mgmt): Promise<NodeConnection> {
    for (;;) {
      if (this.closed) throw new NodeError(node, 'the connection pool is closed (the command is ending)');
      const current = this.connections.get(node) ?? this.reconnect(node, mgmt);
      const c = await current.catch((e: unknown) => {
        // a failed connect is this get's answer, unless another get has started a new one since
        if (this.connections.get(node) === undefined || this.connections.get(node) === current) throw e;
        return undefined;
      });
      if (c && !isStale(c)) {
        if (!this.closed) return c;
        continue; // closeAll ran while we waited: say so rather than hand out a closed connection
      }
      // dropped: the first get to notice it reconnects; later ones find the new connect in the map
      if (c && this.connections.get(node) === current) {
        this.connections.delete(node);
        this.forget(current, c);
      }
    }
  }

  private reconnect(node: string, mgmt: Mgmt): Promise<NodeConnection> {
    this.handshakes += 1;
    const pending = this.connect(node, mgmt, this.opts);
    this.connections.set(node, pending);
    this.live.add(pending);
    pending.then(
      (c) => {
        if (this.connections.get(node) === pending) this.opened.set(node, c);
      },
      () => {
        this.live.delete(pending);
        if (this.connections.get(node) === pending) this.connections.delete(node);
      },
    );
    return pending;
  }

  /** A dropped connection is closed for good (its client may still hold a socket) and no longer tracked. */
  private forget(pending: Promise<NodeConnection>, c: NodeConnection): void {
    this.live.delete(pending);
    void c.close().catch(() => undefined);
  }

  /** True when the node's connection was open and has since dropped (the next `get` reconnects). */
  isLost(node: string): boolean {
    const c = this.opened.get(node);
    return c !== undefined && isStale(c);
  }

  /** A channel to `target` through the shared connection to `via`, opened on first use (one handshake however many ask at once). */
  private async tunnel(node: string, target: SshTarget, via: SshTarget, known: KnownHosts): Promise<Duplex> {
    const key = `${via.user}@${via.host}:${via.port}`;
    for (;;) {
      if (this.closed) throw new NodeError(node, 'the connection pool is closed (the command is ending)');
      let bastion = this.bastions.get(key);
      if (!bastion) {
        this.bastionHandshakes += 1;
        const pending = openSsh(node, via, known, this.opts, undefined, 'bastion ');
        bastion = pending;
        this.bastions.set(key, pending);
        this.liveBastions.add(pending);
        pending.catch(() => {
          this.liveBastions.delete(pending);
          if (this.bastions.get(key) === pending) this.bastions.delete(key);
        });
      }
      const current = bastion;
      const b = await current.catch((e: unknown) => {
        if (this.bastions.get(key) === undefined || this.bastions.get(key) === current) throw e;
        return undefined;
      });
      if (b?.isConnected() && !this.closed) return forwardTo(node, b, target);
      if (b && this.bastions.get(key) === current) {
        this.bastions.delete(key);
        this.liveBastions.delete(current);
        b.dispose();
      }
    }
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    this.connections.clear();
    this.opened.clear();
    this.bastions.clear();
    // a connect still in its handshake is waited for, then closed
    const all = [...this.live];
    this.live.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
    const bastions = [...this.liveBastions];
    this.liveBastions.clear();
    await Promise.all(bastions.map((p) => p.then((b) => b.dispose()).catch(() => undefined)));
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
