/**
 * The transport tests' node: a namespace with sshd and dockerd. The implementation is plain
 * JS under bench/lib so the Docker API bench starts exactly the same node.
 */
export { startSshDockerNode } from '../../bench/lib/ssh-docker-node.js';
export type { SshDockerNode, SshDockerNodeMgmt } from '../../bench/lib/ssh-docker-node.js';
