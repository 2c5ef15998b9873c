/** Types for ssh-docker-node.js (shared by the jest tests and the plain-JS benches). */
export interface SshDockerNodeMgmt {
  host: string;
  port: number;
  user: string;
  identityFile: string;
  knownHosts: string;
}

export interface SshDockerNode {
  readonly name: string;
  /** the node's address (ns side of the veth) */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly dir: string;
  readonly identityFile: string;
  readonly knownHosts: string;
  /** the known_hosts line that vouches for this node's host key */
  readonly hostKeyLine: string;
  readonly sshdLog: string;
  readonly mgmt: SshDockerNodeMgmt;
  /** run a command inside the node's namespaces; throws on non-zero exit */
  exec(cmd: string, args?: string[]): string;
  /** SSH logins sshd accepted so far (one per handshake) */
  acceptedLogins(): number;
  stop(): Promise<void>;
}

export function startSshDockerNode(opts?: { docker?: boolean; sshPort?: number }): Promise<SshDockerNode>;
