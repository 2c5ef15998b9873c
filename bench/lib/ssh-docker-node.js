/**
 * A throwaway "node" for transport tests and benches: its own network namespace (veth to
 * the host, 192.168.251.0/24 split into /30s), its own mount namespace with a private
 * /run (so sshd's privsep dir and dockerd's /var/run/docker.sock are the node's own),
 * sshd with a fresh host key, and optionally dockerd. Plain JS so the bench (plain node)
 * and the jest tests (TypeScript) share it. stop() removes everything it made.
 */

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'trt';
let counter = 0;
const live = new Set();

// A crashed or interrupted run must still remove namespaces and processes.
process.once('exit', () => {
  for (const node of live) node.stopSync();
});

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** First /30 of 192.168.251.0/24 whose addresses no host interface holds yet. */
function freeSlot() {
  const used = run('ip', ['-4', '-o', 'addr', 'show']);
  for (let slot = 0; slot < 64; slot += 1) {
    const hostIp = `192.168.251.${slot * 4 + 1}`;
    if (!used.includes(` ${hostIp}/`)) return slot;
  }
  throw new Error('no free /30 left in 192.168.251.0/24');
}

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function tcpOpen(host, port) {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/**
 * @param {{ docker?: boolean, sshPort?: number }} [opts]
 */
export async function startSshDockerNode(opts = {}) {
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

class SshDockerNode {
  constructor({ docker = true, sshPort = 22 } = {}) {
    counter += 1;
    this.name = `${PREFIX}${process.pid}${counter > 1 ? `x${counter}` : ''}`.slice(0, 13);
    this.withDocker = docker;
    this.port = sshPort;
    this.user = 'root';
    this.pids = []; // in start order; stopped in reverse
    this.dir = mkdtempSync(join(tmpdir(), `${this.name}-`));
    this.identityFile = join(this.dir, 'id_ed25519');
    this.knownHosts = join(this.dir, 'known_hosts');
    this.sshdLog = join(this.dir, 'sshd.log');
    this.dockerLog = join(this.dir, 'dockerd.log');
  }

  get mgmt() {
    return { host: this.host, port: this.port, user: this.user, identityFile: this.identityFile, knownHosts: this.knownHosts };
  }

  async start() {
    this.makeNetwork();
    this.holder = this.spawnDaemon('nsenter', [`--net=/run/netns/${this.name}`, 'unshare', '--mount', '--propagation', 'private',
      'sh', '-c', 'mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd && echo ready && exec sleep infinity'], 'holder');
    await this.waitForHolder();
    this.makeKeys();
    this.startSshd();
    await waitFor(`sshd on ${this.host}:${this.port}`, () => tcpOpen(this.host, this.port), 10_000);
    if (this.withDocker) await this.startDockerd();
  }

  makeNetwork() {
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
    const inNs = (...args) => run('ip', ['-n', this.name, ...args]);
    inNs('link', 'set', 'lo', 'up');
    inNs('link', 'set', `${this.name}n`, 'name', 'eth0');
    inNs('addr', 'add', `${this.host}/30`, 'dev', 'eth0');
    inNs('link', 'set', 'eth0', 'up');
  }

  spawnDaemon(cmd, args, label) {
    const out = openSync(join(this.dir, `${label}.out`), 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', out, out], detached: true });
    closeSync(out);
    child.unref();
    this.pids.push(child.pid);
    return child.pid;
  }

  async waitForHolder() {
    await waitFor('the node mount namespace', () => readFileSync(join(this.dir, 'holder.out'), 'utf8').includes('ready'), 5_000);
  }

  /** Runs a command inside the node (its network and mount namespaces). */
  exec(cmd, args = []) {
    return run('nsenter', [`--target=${this.holder}`, '--net', '--mount', cmd, ...args]);
  }

  makeKeys() {
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, 'ssh_host_ed25519_key')]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', this.identityFile]);
    writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(`${this.identityFile}.pub`));
    const [type, key] = readFileSync(join(this.dir, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ');
    const name = this.port === 22 ? this.host : `[${this.host}]:${this.port}`;
    this.hostKeyLine = `${name} ${type} ${key}`;
    writeFileSync(this.knownHosts, `${this.hostKeyLine}\n`);
  }

  startSshd() {
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

  async startDockerd() {
    const config = join(this.dir, 'daemon.json');
    // Without a key path dockerd writes its ID key to the host's /etc/docker.
    writeFileSync(config, `${JSON.stringify({ 'deprecated-key-path': join(this.dir, 'key.json') })}\n`);
    this.spawnDaemon('nsenter', [`--target=${this.holder}`, '--net', '--mount',
      '/usr/sbin/dockerd', '--config-file', config, '--data-root', join(this.dir, 'docker'),
      '--pidfile', '/run/docker.pid', '-H', 'unix:///var/run/docker.sock',
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--log-level=warn'], 'dockerd');
    await waitFor('dockerd', () => spawnSync('nsenter', [`--target=${this.holder}`, '--net', '--mount',
      'docker', '-H', 'unix:///var/run/docker.sock', 'version'], { stdio: 'ignore' }).status === 0, 60_000)
      .catch((err) => { throw new Error(`${err.message}: ${this.tail('dockerd.out')}`); });
  }

  tail(file) {
    try { return readFileSync(join(this.dir, file), 'utf8').split('\n').slice(-5).join('\n'); } catch { return ''; }
  }

  /** How many SSH sessions sshd accepted so far: one per handshake. */
  acceptedLogins() {
    return (readFileSync(this.sshdLog, 'utf8').match(/Accepted publickey/g) ?? []).length;
  }

  async stop() {
    for (const pid of [...this.pids].reverse()) {
      try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
      const deadline = Date.now() + 15_000;
      while (alive(pid) && Date.now() < deadline) await sleep(100);
    }
    this.stopSync();
  }

  /** Kill what is left and remove the namespace, veth and files; safe to call twice. */
  stopSync() {
    for (const pid of this.pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    this.pids = [];
    if (this.netnsMade) {
      spawnSync('ip', ['link', 'del', this.hostVeth], { stdio: 'ignore' });
      spawnSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
      this.netnsMade = false;
    }
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}
