/**
 * The transport tests' node: a namespace with sshd and dockerd. It lives under bench/lib so
 * the Docker API bench starts exactly the same node.
 */
export { startSshDockerNode, type SshDockerNode, type SshDockerNodeMgmt } from '../../bench/lib/ssh-docker-node.js';
