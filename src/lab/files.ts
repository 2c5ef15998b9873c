/**
 * A node's private files, prepared on the host before the node starts: what a freshly
 * installed Debian box has in /etc/network, /etc/frr, /root, /run, /var/log, and its own
 * sshd configuration and host key.
 */
import { chownSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OperationError } from '../errors.js';
import type { Role } from '../topology/types.js';
import type { NodePaths } from './names.js';

/** The directories bind-mounted over the host's inside a node (node dir entry -> node path). */
export const PRIVATE_DIRS: Array<[string, string]> = [
  ['etc-network', '/etc/network'],
  ['etc-frr', '/etc/frr'],
  ['root', '/root'],
  ['home', '/home'],
  ['run', '/run'],
  ['var-log', '/var/log'],
  ['var-lib-docker', '/var/lib/docker'],
  ['hostname', '/etc/hostname'],
  ['hosts', '/etc/hosts'],
];

/** Host directories a node sees through its own writable overlay: [dir, state subdir]. */
export const OVERLAY_DIRS: Array<[string, string]> = [
  ['/etc', 'etc-overlay'],
  ['/usr/local', 'usr-local-overlay'],
];

export const CGROUP_ASIDE = '.cgroup-aside';

/**
 * Every lab node also has this unprivileged user, with the lab's key and passwordless sudo,
 * as a real switch or server would (the lab itself still runs as root): how provider
 * external is tested with `ssh.sudo: true`.
 */
export const LAB_SUDO_USER = 'cldemo';
/** What cldemo needs in sudoers, exactly as the README tells operators to write it. */
export const LAB_SUDOERS = `${LAB_SUDO_USER} ALL=(root) NOPASSWD: ALL`;

interface Ids {
  uid: number;
  gid: number;
}

/** Looked up in the host's databases: nodes share the host's /etc/passwd. */
function systemIds(user: string, group = user): Ids {
  const field = (file: string, name: string) => {
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
    if (!line) throw new OperationError(`no ${name} in ${file} (is the package that creates it installed?)`);
    return Number(line.split(':')[2]);
  };
  return { uid: field('/etc/passwd', user), gid: field('/etc/group', group) };
}

export interface NodeFiles {
  name: string;
  role: Role;
  mgmtIp: string;
  paths: NodePaths;
  authorizedKey: string;
  cgroupParent: string;
}

export function writeNodeFiles(n: NodeFiles): void {
  const d = n.paths.dir;
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true, mode: 0o755 });
  mkdirSync(join(d, CGROUP_ASIDE));
  writeEtcNetwork(join(d, 'etc-network'));
  writeEtcFrr(join(d, 'etc-frr'));
  writeRoot(join(d, 'root'), n.authorizedKey);
  mkdirSync(join(d, 'home'), { mode: 0o755 });
  writeRun(join(d, 'run'));
  writeVarLog(join(d, 'var-log'));
  mkdirSync(join(d, 'var-lib-docker'), { mode: 0o711 });
  writeFileSync(join(d, 'hostname'), `${n.name}\n`);
  writeFileSync(join(d, 'hosts'), hosts(n.name));
  writeFileSync(join(d, 'sshd_config'), sshdConfig(n.mgmtIp, d));
  writeFileSync(join(d, 'daemon.json'), `${JSON.stringify(dockerConfig(n.cgroupParent, d), null, 2)}\n`);
}

function writeEtcNetwork(dir: string): void {
  mkdirSync(join(dir, 'interfaces.d'), { recursive: true });
  // ifupdown2 refuses to run without its own config; the host's package copy is the default
  cpSync('/etc/network/ifupdown2', join(dir, 'ifupdown2'), { recursive: true });
  keepStatePrivate(join(dir, 'ifupdown2', 'ifupdown2.conf'));
  writeFileSync(
    join(dir, 'interfaces'),
    [
      '# interfaces(5) file used by ifup(8) and ifdown(8)',
      '# eth0 (management) is set up by the lab, like a DHCP-managed port: keep it out of here',
      'source /etc/network/interfaces.d/*',
      '',
      'auto lo',
      'iface lo inet loopback',
      '',
    ].join('\n'),
  );
}

/**
 * ifupdown2 saves what it configured in state_dir, /var/tmp/network by default: the host's
 * /var/tmp, which every node shares. One node's ifreload then read another's interfaces as its
 * own previous state, and a node killed mid-write left a torn file that made every other
 * ifupdown2 on the host (the config checks too) fail to read it. Each node keeps it in its own /run.
 */
function keepStatePrivate(conf: string): void {
  const text = readFileSync(conf, 'utf8');
  const line = 'state_dir=/run/network/';
  writeFileSync(conf, /^state_dir=.*$/m.test(text) ? text.replace(/^state_dir=.*$/m, line) : `${text.trimEnd()}\n${line}\n`);
}

function writeEtcFrr(dir: string): void {
  const frr = systemIds('frr');
  mkdirSync(dir, { mode: 0o750 });
  // Debian ships every routing daemon off; a switch in this lab runs BGP
  const daemons = readFileSync('/etc/frr/daemons', 'utf8').replace(/^bgpd=no$/m, 'bgpd=yes');
  const files: Record<string, string> = {
    daemons,
    'frr.conf': '',
    'vtysh.conf': 'service integrated-vtysh-config\n',
  };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text, { mode: 0o640 });
    chownSync(join(dir, name), frr.uid, frr.gid);
  }
  chownSync(dir, frr.uid, frr.gid);
}

function writeRoot(dir: string, authorizedKey: string): void {
  mkdirSync(join(dir, '.ssh'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, '.ssh', 'authorized_keys'), `${authorizedKey.trim()}\n`, { mode: 0o600 });
}

/** The node's /run as a boot finds it: empty but for the directories its daemons expect. */
export function resetRun(nodeDir: string): void {
  const dir = join(nodeDir, 'run');
  for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
  writeRun(dir);
}

function writeRun(dir: string): void {
  const frr = systemIds('frr');
  for (const sub of ['network', 'sshd', 'lock']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
  mkdirSync(join(dir, 'frr'), { mode: 0o755 });
  chownSync(join(dir, 'frr'), frr.uid, frr.gid);
}

function writeVarLog(dir: string): void {
  const frr = systemIds('frr');
  mkdirSync(join(dir, 'frr'), { recursive: true, mode: 0o755 });
  chownSync(join(dir, 'frr'), frr.uid, frr.gid);
}

function hosts(node: string): string {
  return [
    '127.0.0.1\tlocalhost',
    `127.0.1.1\t${node}`,
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
  ].join('\n');
}

/** The node's own sshd: on its management address only, keys only, its own host key. */
function sshdConfig(mgmtIp: string, dir: string): string {
  return [
    `ListenAddress ${mgmtIp}`,
    'Port 22',
    `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
    'PidFile /run/sshd.pid',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // PAM's session modules expect a booted system (logind, loginuid); keys need none of it
    'UsePAM no',
    'AllowStreamLocalForwarding yes',
    'AllowTcpForwarding yes',
    // cldemo opens one connection per node and many channels on it (commands, Docker API)
    'MaxSessions 64',
    'MaxStartups 64:30:128',
    'PrintMotd no',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

/**
 * dockerd without iptables and without docker0: the lab's containers use macvlan networks,
 * which need neither NAT nor the default bridge, and skipping netfilter keeps dockerd from
 * loading kernel modules or rules that would reach beyond the node.
 */
function dockerConfig(cgroupParent: string, dir: string): Record<string, unknown> {
  // each node's containers under a cgroup of their own, so lab down can remove exactly those;
  // dockerd's identity key in the node's own directory, not /etc/docker
  return { iptables: false, 'ip-forward': false, 'ip-masq': false, bridge: 'none', 'cgroup-parent': `/${cgroupParent}`, 'deprecated-key-path': join(dir, 'docker-key.json') };
}
