/**
 * A throwaway "node" for transport tests and benches: its own network namespace (veth to
 * the host, 192.168.251.0/24 split into /30s), its own mount namespace with a private
 * /run (so sshd's privsep dir and dockerd's /var/run/docker.sock are the node's own),
 * sshd with a fresh host key, and optionally dockerd. The Docker API bench and the jest
 * transport tests share it. stop() removes everything it made.
 */

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'trt';
let counter = 0;
const live = new Set<SshDockerNode>();

// A crashed or interrupted run must still remove namespaces and processes.
process.once('exit', () => {
  for (const node of live) node.stopSync();
});

function run(cmd: string, args: string[], opts: { input?: string } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** First /30 of 192.168.251.0/24 whose addresses no host interface holds yet. */
function freeSlot(): number {
  const used = run('ip', ['-4', '-o', 'addr', 'show']);
  for (let slot = 0; slot < 64; slot += 1) {
    const hostIp = `192.168.251.${slot * 4 + 1}`;
    if (!used.includes(` ${hostIp}/`)) return slot;
  }
  throw new Error('no free /30 left in 192.168.251.0/24');
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** The cgroup our dockerd's containers went under, in every hierarchy (cgroup v2, or v1's controllers). */
function removeCgroup(name: string): void {
  const roots = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => /^cgroup2?$/.test(f[2] ?? '')).map((f) => f[1]);
  const remove = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) remove(join(dir, e.name));
    try { rmdirSync(dir); } catch { /* still holds a process: the kill above has not landed yet */ }
  };
  for (const root of roots) remove(join(root, name));
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

export interface SshDockerNodeOptions {
  /** start dockerd too (default true) */
  docker?: boolean;
  sshPort?: number;
}

export interface SshDockerNodeMgmt {
  host: string;
  port: number;
  user: string;
  identityFile: string;
  knownHosts: string;
}

export async function startSshDockerNode(opts: SshDockerNodeOptions = {}): Promise<SshDockerNode> {
  const node = new SshDockerNode(opts);
  live.add(node);
  try {
    await node.start();
  } catch (err) {
    await node.stop();
    throw err;
  }
  return node;
}

export class SshDockerNode {
  readonly name: string;
  readonly port: number;
  readonly user = 'root';
  readonly dir: string;
  readonly identityFile: string;
  readonly knownHosts: string;
  readonly sshdLog: string;
  readonly dockerLog: string;
  /** the node's address (ns side of the veth) */
  host = '';
  /** the known_hosts line that vouches for this node's host key */
  hostKeyLine = '';
  private readonly withDocker: boolean;
  private hostIp = '';
  private hostVeth = '';
  private netnsMade = false;
  private holder = 0;
  /** in start order; stopped in reverse */
  private pids: number[] = [];

  constructor({ docker = true, sshPort = 22 }: SshDockerNodeOptions = {}) {
    counter += 1;
    this.name = `${PREFIX}${process.pid}${counter > 1 ? `x${counter}` : ''}`.slice(0, 13);
    this.withDocker = docker;
    this.port = sshPort;
    this.dir = mkdtempSync(join(tmpdir(), `${this.name}-`));
    this.identityFile = join(this.dir, 'id_ed25519');
    this.knownHosts = join(this.dir, 'known_hosts');
    this.sshdLog = join(this.dir, 'sshd.log');
    this.dockerLog = join(this.dir, 'dockerd.log');
  }

  get mgmt(): SshDockerNodeMgmt {
    return { host: this.host, port: this.port, user: this.user, identityFile: this.identityFile, knownHosts: this.knownHosts };
  }

  async start(): Promise<void> {
    this.makeNetwork();
    this.holder = this.spawnDaemon('nsenter', [`--net=/run/netns/${this.name}`, 'unshare', '--mount', '--propagation', 'private',
      'sh', '-c', 'mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd && echo ready && exec sleep infinity'], 'holder');
    await this.waitForHolder();
    this.makeKeys();
    this.startSshd();
    await waitFor(`sshd on ${this.host}:${this.port}`, () => tcpOpen(this.host, this.port), 10_000);
    if (this.withDocker) await this.startDockerd();
  }

  private makeNetwork(): void {
    const slot = freeSlot();
    this.hostIp = `192.168.251.${slot * 4 + 1}`;
    this.host = `192.168.251.${slot * 4 + 2}`;
    this.hostVeth = `${this.name}h`;
    run('ip', ['netns', 'add', this.name]);
    this.netnsMade = true;
    run('ip', ['link', 'add', this.hostVeth, 'type', 'veth', 'peer', 'name', `${this.name}n`]);
    run('ip', ['link', 'set', `${this.name}n`, 'netns', this.name]);
    run('ip', ['addr', 'add', `${this.hostIp}/30`, 'dev', this.hostVeth]);
    run('ip', ['link', 'set', this.hostVeth, 'up']);
    const inNs = (...args: string[]): string => run('ip', ['-n', this.name, ...args]);
    inNs('link', 'set', 'lo', 'up');
    inNs('link', 'set', `${this.name}n`, 'name', 'eth0');
    inNs('addr', 'add', `${this.host}/30`, 'dev', 'eth0');
    inNs('link', 'set', 'eth0', 'up');
  }

  private spawnDaemon(cmd: string, args: string[], label: string): number {
    const out = openSync(join(this.dir, `${label}.out`), 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', out, out], detached: true });
    closeSync(out);
    child.unref();
    if (child.pid === undefined) throw new Error(`${cmd} did not start`);
    this.pids.push(child.pid);
    return child.pid;
  }

  private async waitForHolder(): Promise<void> {
    await waitFor('the node mount namespace', () => readFileSync(join(this.dir, 'holder.out'), 'utf8').includes('ready'), 5_000);
  }

  /** Runs a command inside the node (its network and mount namespaces); throws on a non-zero exit. */
  exec(cmd: string, args: string[] = []): string {
    return run('nsenter', [`--target=${this.holder}`, '--net', '--mount', cmd, ...args]);
  }

  private makeKeys(): void {
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, 'ssh_host_ed25519_key')]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', this.identityFile]);
    writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(`${this.identityFile}.pub`));
    const [type, key] = readFileSync(join(this.dir, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ');
    const name = this.port === 22 ? this.host : `[${this.host}]:${this.port}`;
    this.hostKeyLine = `${name} ${type} ${key}`;
    writeFileSync(this.knownHosts, `${this.hostKeyLine}\n`);
  }

  private startSshd(): void {
    const config = join(this.dir, 'sshd_config');
    writeFileSync(config, [
      `ListenAddress ${this.host}:${this.port}`,
      `HostKey ${join(this.dir, 'ssh_host_ed25519_key')}`,
      `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowStreamLocalForwarding yes',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      'PidFile /run/sshd.pid',
      '',
    ].join('\n'));
    this.spawnDaemon('nsenter', [`--target=${this.holder}`, '--net', '--mount',
      '/usr/sbin/sshd', '-D', '-f', config, '-E', this.sshdLog], 'sshd');
  }

  private async startDockerd(): Promise<void> {
    const config = join(this.dir, 'daemon.json');
    // Without a key path dockerd writes its ID key to the host's /etc/docker; without a cgroup
    // parent its containers go under /docker, the host's own Docker's.
    writeFileSync(config, `${JSON.stringify({ 'deprecated-key-path': join(this.dir, 'key.json'), 'cgroup-parent': `/${this.name}` })}\n`);
    this.spawnDaemon('nsenter', [`--target=${this.holder}`, '--net', '--mount',
      '/usr/sbin/dockerd', '--config-file', config, '--data-root', join(this.dir, 'docker'),
      '--pidfile', '/run/docker.pid', '-H', 'unix:///var/run/docker.sock',
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--log-level=warn'], 'dockerd');
    await waitFor('dockerd', () => spawnSync('nsenter', [`--target=${this.holder}`, '--net', '--mount',
      'docker', '-H', 'unix:///var/run/docker.sock', 'version'], { stdio: 'ignore' }).status === 0, 60_000)
      .catch((err: Error) => { throw new Error(`${err.message}: ${this.tail('dockerd.out')}`); });
  }

  private tail(file: string): string {
    try { return readFileSync(join(this.dir, file), 'utf8').split('\n').slice(-5).join('\n'); } catch { return ''; }
  }

  /** How many SSH sessions sshd accepted so far: one per handshake. */
  acceptedLogins(): number {
    return (readFileSync(this.sshdLog, 'utf8').match(/Accepted publickey/g) ?? []).length;
  }

  async stop(): Promise<void> {
    for (const pid of [...this.pids].reverse()) {
      try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
      const deadline = Date.now() + 15_000;
      while (alive(pid) && Date.now() < deadline) await sleep(100);
    }
    this.stopSync();
  }

  /** Kill what is left and remove the namespace, veth and files; safe to call twice. */
  stopSync(): void {
    for (const pid of this.pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    this.pids = [];
    if (this.netnsMade) {
      spawnSync('ip', ['link', 'del', this.hostVeth], { stdio: 'ignore' });
      spawnSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
      this.netnsMade = false;
    }
    removeCgroup(this.name);
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}
