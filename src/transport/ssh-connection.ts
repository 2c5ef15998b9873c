/**
 * One node's open SSH connection, reused for every command, file and Docker API call: exec
 * (with its limits), line streams, SFTP and, for a user with sudo, uploads copied into place.
 */

import { Readable } from 'node:stream';
import type { NodeSSH } from 'node-ssh';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { NodeError, messageOf } from '../errors.js';
import { shellQuote } from './shell.js';
import { DEFAULT_DOCKER_SOCKET, dockerOverSsh, type DockerodeEngine, type DockerRoute } from './docker.js';
import type { ExecOptions, ExecResult, LineStream, NodeConnection } from './node-connection.js';

const TIMEOUT_EXIT_CODE = 124; // what timeout(1) exits with when the limit hit
const TIMEOUT_KILL_AFTER_S = 2; // SIGTERM first, SIGKILL this long after
const LOCAL_GRACE_MS = TIMEOUT_KILL_AFTER_S * 1000 + 3000;
/** the longest any command without its own timeout is waited for */
const DEFAULT_EXEC_LIMIT_MS = 300_000;
const NO_SUCH_FILE = 44; // getFile's exit code under sudo when the file is missing

/** The sudoers line cldemo needs for `user`, and where it goes. */
export function sudoersHint(user: string): string {
  return `add '${user} ALL=(root) NOPASSWD: ALL' to /etc/sudoers.d/cldemo (visudo -f /etc/sudoers.d/cldemo)`;
}

export interface Privilege {
  sudo: boolean;
  user: string; // who logs in (for messages)
  host: string; // as the topology names it (for messages)
}

export class SshNodeConnection implements NodeConnection {
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
    const socket = DEFAULT_DOCKER_SOCKET;
    const probe = `sudo -n true 2>&1; echo "sudo=$?"; if [ -S ${socket} ] && ! { [ -r ${socket} ] && [ -w ${socket} ]; }; then echo docker=dial-stdio; fi`;
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

function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  work.catch(() => undefined); // a late failure after the timeout has nobody to tell
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

