/** The transport's public face: everything else in cldemo imports from here. */
export { ConnectionPool, connectNode, type ConnectOptions, type ExecOptions, type ExecResult, type LineStream, type NodeConnection } from './ssh.js';
export { DEFAULT_DOCKER_SOCKET } from './docker.js';
export { assertSafeName, isSafeName, shellCommand, shellQuote } from './shell.js';
