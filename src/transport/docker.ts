/**
 * dockerode over a node's existing SSH connection: every HTTP request to the Engine API
 * rides an `direct-streamlocal@openssh.com` channel to the node's Docker socket, so an
 * API call costs a channel open (or nothing, when a kept-alive channel is free) instead
 * of a new SSH handshake. dockerode's own `protocol: 'ssh'` is deliberately not used.
 */

import http from 'node:http';
import { inspect } from 'node:util';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { Client, ClientChannel } from 'ssh2';
import { NodeError } from '../errors.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** no Engine API call cldemo makes is silent this long unless the engine or the node is gone */
const DOCKER_REQUEST_TIMEOUT_MS = 120_000;

/**
 * How an API connection reaches dockerd: `socket`, a stream-local channel to the socket
 * (sshd opens it as the login user); `dial-stdio`, an exec channel running
 * `sudo -n docker system dial-stdio`, for a user who may not open the socket.
 */
export type DockerRoute = 'socket' | 'dial-stdio';

export const DIAL_STDIO_COMMAND = 'sudo -n docker system dial-stdio';

export interface StreamLocalAgentOptions {
  /** channels opened at once; OpenSSH's MaxSessions does not count these, but keep it bounded */
  maxSockets?: number;
  route?: DockerRoute;
}

// dial-stdio channels are sessions: OpenSSH's MaxSessions (10 by default) counts them
// with every command cldemo runs on the node at the same time
const DIAL_STDIO_MAX_SOCKETS = 4;

/** An http.Agent whose "sockets" are SSH channels to a Unix socket on the node. */
export class StreamLocalAgent extends http.Agent {
  private readonly node: string;
  private readonly client: Client;
  private readonly socketPath: string;
  readonly route: DockerRoute;
  /** channels opened so far; tests and benches read it to see keep-alive reuse */
  channelsOpened = 0;

  constructor(node: string, client: Client, socketPath: string, opts: StreamLocalAgentOptions = {}) {
    const route = opts.route ?? 'socket';
    super({ keepAlive: true, maxSockets: opts.maxSockets ?? (route === 'socket' ? 16 : DIAL_STDIO_MAX_SOCKETS), maxFreeSockets: 4 });
    this.node = node;
    this.client = client;
    this.socketPath = socketPath;
    this.route = route;
  }

  /**
   * docker-modem logs every request with util.inspect(options, { depth: null }), debug on
   * or off; options.agent is this object, and a full walk of it (the ssh2 client, every
   * queued request) grows with the calls in flight: 85 % of `up`'s CPU at 256 containers.
   */
  [inspect.custom](): string {
    return `StreamLocalAgent(${this.node}:${this.socketPath})`;
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const path = options.socketPath ?? this.socketPath;
    if (this.route === 'dial-stdio') return this.dialStdio(callback);
    this.client.openssh_forwardOutStreamLocal(path, (err, channel) => {
      if (err) {
        const hint = `cannot reach Docker at ${path} over SSH (is dockerd running?)`;
        callback?.(new NodeError(this.node, `${hint}: ${err.message}`), undefined as never);
        return;
      }
      this.channelsOpened += 1;
      callback?.(null, asSocket(channel));
    });
    return undefined;
  }

  /** The Docker CLI on the node relays the API connection to dockerd, as root through sudo. */
  private dialStdio(callback?: (err: Error | null, stream: Duplex) => void): undefined {
    this.client.exec(DIAL_STDIO_COMMAND, (err, channel) => {
      if (err) {
        callback?.(new NodeError(this.node, `cannot start ${DIAL_STDIO_COMMAND}: ${err.message}`), undefined as never);
        return;
      }
      this.channelsOpened += 1;
      let stderr = '';
      channel.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString('utf8')).slice(-2000);
      });
      // a relay that dies before dockerd answers says why on stderr, not as an HTTP error
      channel.on('exit', (code: number | null) => {
        if (code !== 0 && stderr.trim()) {
          const hint = /password is required/.test(stderr) ? ' (sudo needs NOPASSWD for docker)' : ' (is dockerd running?)';
          channel.emit('error', new NodeError(this.node, `${DIAL_STDIO_COMMAND} failed${hint}: ${stderr.trim().split('\n').pop()}`));
          channel.destroy();
        }
      });
      callback?.(null, asSocket(channel));
    });
    return undefined;
  }
}

/**
 * node's http client and Agent call a few net.Socket methods on their sockets; an SSH
 * channel is a plain Duplex, so give it those methods. Only the idle timeout matters.
 */
function asSocket(channel: ClientChannel): Duplex {
  const socket = channel as ClientChannel & Record<string, unknown>;
  let idle: NodeJS.Timeout | undefined;
  let idleMs = 0;
  const arm = (): void => {
    if (idle) clearTimeout(idle);
    idle = idleMs > 0 ? setTimeout(() => channel.emit('timeout'), idleMs) : undefined;
    idle?.unref();
  };
  let listener: (() => void) | undefined;
  socket.setTimeout = (ms: number, onTimeout?: () => void) => {
    idleMs = ms;
    // a kept-alive channel is handed to request after request, each with its own callback
    if (listener) channel.removeListener('timeout', listener);
    listener = onTimeout;
    if (onTimeout) channel.once('timeout', onTimeout);
    arm();
    return channel;
  };
  channel.on('data', () => idle && arm());
  channel.once('close', () => idle && clearTimeout(idle));
  socket.setKeepAlive = () => channel;
  socket.setNoDelay = () => channel;
  socket.ref = () => channel;
  socket.unref = () => channel;
  return channel;
}

/** A dockerode client for the Docker socket at `socketPath` on the far end of `client`. */
export function dockerOverSsh(
  node: string,
  client: Client,
  socketPath = DEFAULT_DOCKER_SOCKET,
  route: DockerRoute = 'socket',
): { docker: Docker; agent: StreamLocalAgent } {
  const agent = new StreamLocalAgent(node, client, socketPath, { route });
  // host: undefined keeps a DOCKER_HOST in our own environment from redirecting the requests.
  // timeout: a request the engine (or a dropped connection) leaves unanswered this long fails
  const docker = new Docker({ socketPath, agent, protocol: 'http', host: undefined, timeout: DOCKER_REQUEST_TIMEOUT_MS } as Docker.DockerOptions);
  return { docker, agent };
}
