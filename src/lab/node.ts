/**
 * A node: persistent network, mount and UTS namespaces (bind-mounted handles, no process
 * needed to keep them), a fresh sysfs, the node's private directories, then its daemons.
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { sleep } from '../concurrency.js';
import { OperationError } from '../errors.js';
import type { Role } from '../topology/types.js';
import { CGROUP_ASIDE, LAB_SUDOERS, LAB_SUDO_USER, OVERLAY_DIRS, PRIVATE_DIRS } from './files.js';
import { nsenterArgs, type NodePaths } from './names.js';
import { aliveIn, nsInode, readPidFile } from './processes.js';
import { run } from './run.js';

const SWITCH_DAEMONS = ['sshd', 'watchfrr', 'zebra', 'bgpd', 'staticd'] as const;
const SERVER_DAEMONS = ['sshd', 'dockerd', 'containerd'] as const;

function daemonsOf(role: Role): readonly string[] {
  return role === 'server' ? SERVER_DAEMONS : SWITCH_DAEMONS;
}

/** Where each daemon writes its PID, seen from the host (the node's /run is a host directory). */
function pidFile(dir: string, daemon: string): string {
  const runDir = join(dir, 'run');
  switch (daemon) {
    case 'sshd':
      return join(runDir, 'sshd.pid');
    case 'dockerd':
      return join(runDir, 'docker.pid');
    case 'containerd':
      return join(runDir, 'docker', 'containerd', 'containerd.pid');
    default:
      return join(runDir, 'frr', `${daemon}.pid`);
  }
}

function touch(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  closeSync(openSync(file, 'a'));
}

/** Runs inside the new namespaces, once, as the node "boots". */
function setupScript(role: Role): string {
  const binds = PRIVATE_DIRS.map(([src, dst]) => `mount --bind "$D/${src}" ${dst}`);
  return [
    'set -eu',
    // this mount namespace started as a copy of the host's, including other namespaces'
    // handles: left here, they would keep those namespaces alive as long as this node lives
    // (a handle can be listed twice when /run/netns is bound onto itself, so one umount may
    // remove two entries: sweep until none is left instead of failing on the second)
    'for pass in 1 2 3; do',
    `  awk '$3 == "nsfs" { print $2 }' /proc/self/mounts | sort -ru | while read -r m; do umount -l "$m" 2>/dev/null || true; done`,
    `  grep -q ' nsfs ' /proc/self/mounts || break`,
    'done',
    // a sysfs mounted from inside the network namespace shows the node's own interfaces;
    // the host's cgroup tree is kept (dockerd needs it) by moving it onto the new sysfs
    `mount --rbind /sys/fs/cgroup "$D/${CGROUP_ASIDE}"`,
    'umount -l /sys',
    'mount -t sysfs sysfs /sys',
    `mount --move "$D/${CGROUP_ASIDE}" /sys/fs/cgroup`,
    // /etc and /usr/local are the node's own (a copy-on-write layer over the host's), so
    // what cldemo installs on a node (/etc/rdnbrd.conf, the agent) stays in that node, as
    // on a real box, and leaves with the lab
    ...OVERLAY_DIRS.map(
      ([dir, name]) =>
        `mkdir -p "$D/${name}/upper" "$D/${name}/work" && mount -t overlay overlay -o lowerdir=${dir},upperdir="$D/${name}/upper",workdir="$D/${name}/work" ${dir}`,
    ),
    ...binds,
    ...sudoUser(),
    'hostname "$NODE"',
    'ip link set lo up',
    // veths between nodes are point-to-point: duplicate address detection only delays
    // the link-local addresses that BGP unnumbered needs
    'sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0',
    ...(role === 'server' ? [] : ['sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1']),
  ].join('\n');
}

/** The node's unprivileged user (in its own /etc and /home): the lab's key, sudo without a password. */
function sudoUser(): string[] {
  const u = LAB_SUDO_USER;
  return [
    // '*': no password, yet not locked ('!'), which sshd without PAM would refuse
    `id -u ${u} >/dev/null 2>&1 || useradd --no-create-home --home-dir /home/${u} --shell /bin/bash --user-group --password '*' ${u}`,
    `install -d -m 700 -o ${u} -g ${u} /home/${u} /home/${u}/.ssh`,
    `install -m 600 -o ${u} -g ${u} /root/.ssh/authorized_keys /home/${u}/.ssh/authorized_keys`,
    `printf '%s\n' '${LAB_SUDOERS}' > /etc/sudoers.d/${u}`,
    `chmod 440 /etc/sudoers.d/${u}`,
  ];
}

export async function createNamespaces(node: string, role: Role, p: NodePaths): Promise<void> {
  for (const f of [p.netnsFile, p.mntFile, p.utsFile]) touch(f);
  await run(
    'unshare',
    [`--net=${p.netnsFile}`, `--mount=${p.mntFile}`, `--uts=${p.utsFile}`, '--propagation', 'private', '--', '/bin/sh', '-c', setupScript(role)],
    { env: { ...process.env, D: p.dir, NODE: node } },
  );
}

export interface BootSpec {
  node: string;
  role: Role;
  mgmtIp: string;
  prefix: number;
  ports: string[];
  paths: NodePaths;
}

function bootScript(b: BootSpec): string {
  const ups = ['eth0', ...b.ports].map((port) => `ip link set ${port} up`);
  const daemons =
    b.role === 'server'
      ? [`setsid -f dockerd --config-file "$D/daemon.json" </dev/null >>/var/log/docker.log 2>&1`]
      : ['/usr/lib/frr/frrinit.sh start >>/var/log/frr/frrinit.log 2>&1'];
  return [
    'set -eu',
    // replace, not add: a node powered up again (lab node NODE up) still has it
    `ip addr replace ${b.mgmtIp}/${b.prefix} dev eth0`,
    ...ups,
    `/usr/sbin/sshd -f "$D/sshd_config" -E /var/log/sshd.log`,
    ...daemons,
  ].join('\n');
}

export async function bootNode(b: BootSpec): Promise<void> {
  await inNode(b.paths, ['/bin/sh', '-c', bootScript(b)], { D: b.paths.dir });
}

function inNode(p: NodePaths, argv: string[], env: Record<string, string> = {}) {
  return run('nsenter', [...nsenterArgs(p), '--', ...argv], { env: { ...process.env, ...env } });
}

/** Polls until `ready` holds; no fixed sleeps, a deadline instead. */
export async function waitFor(what: string, ready: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new OperationError(`${what} not ready after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(delay);
    delay = Math.min(delay * 2, 200);
  }
}

/** sshd answers when it sends its version banner. */
function sshAnswers(host: string, port = 22, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('data', (d) => done(d.toString().startsWith('SSH-')));
    sock.once('error', () => done(false));
  });
}

/** dockerd answers its API on the node's socket (a host path, since the node's /run is one). */
function dockerAnswers(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export function dockerSocket(dir: string): string {
  return join(dir, 'run', 'docker.sock');
}

/** An FRR daemon runs and has opened its vty socket (what vtysh talks to). */
function frrAnswers(dir: string, daemon: string, netIno: number | undefined): boolean {
  return aliveIn(readPidFile(pidFile(dir, daemon)), netIno) && existsSync(join(dir, 'run', 'frr', `${daemon}.vty`));
}

/** Which of the node's daemons run (and answer, where that is cheap to ask). */
export async function daemonStates(role: Role, mgmtIp: string, p: NodePaths): Promise<Record<string, boolean>> {
  const netIno = nsInode(p.netnsFile);
  const states: Record<string, boolean> = {};
  for (const d of daemonsOf(role)) {
    const alive = aliveIn(readPidFile(pidFile(p.dir, d)), netIno);
    if (d === 'sshd') states[d] = alive && (await sshAnswers(mgmtIp));
    else if (d === 'dockerd') states[d] = alive && (await dockerAnswers(dockerSocket(p.dir)));
    else if (d === 'containerd') states[d] = alive;
    else states[d] = frrAnswers(p.dir, d, netIno);
  }
  return states;
}

export function daemonPids(role: Role, dir: string): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const d of daemonsOf(role)) {
    const pid = readPidFile(pidFile(dir, d));
    if (pid) pids[d] = pid;
  }
  return pids;
}
