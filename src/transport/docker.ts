/**
 * The one implementation of DockerEngine (docker-engine.ts), over dockerode. Through a
 * node's existing SSH connection every HTTP request to the Engine API rides a
 * `direct-streamlocal@openssh.com` channel to the node's Docker socket, so an API call
 * costs a channel open (or nothing, when a kept-alive channel is free) instead of a new
 * SSH handshake. dockerode's own `protocol: 'ssh'` is deliberately not used.
 */

import http from 'node:http';
import { inspect } from 'node:util';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { Client, ClientChannel } from 'ssh2';
import { CldemoError, NodeError, messageOf } from '../errors.js';
import type {
  ContainerDetail, ContainerEvent, ContainerEventStream, ContainerFilter, ContainerSpec, ContainerSummary, DockerEngine, ImageInfo, MacvlanNetworkSpec, NetworkInfo,
} from './docker-engine.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** no Engine API call cldemo makes is silent this long unless the engine or the node is gone */
const DOCKER_REQUEST_TIMEOUT_MS = 120_000;

/**
 * How an API connection reaches dockerd: `socket`, a stream-local channel to the socket
 * (sshd opens it as the login user); `dial-stdio`, an exec channel running
 * `sudo -n docker system dial-stdio`, for a user who may not open the socket.
 */
export type DockerRoute = 'socket' | 'dial-stdio';

const DIAL_STDIO_COMMAND = 'sudo -n docker system dial-stdio';

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

/** The Docker engine at `socketPath` on the far end of `client`. */
export function dockerOverSsh(
  node: string,
  client: Client,
  socketPath = DEFAULT_DOCKER_SOCKET,
  route: DockerRoute = 'socket',
  requestTimeoutMs = DOCKER_REQUEST_TIMEOUT_MS,
): DockerodeEngine {
  const agent = new StreamLocalAgent(node, client, socketPath, { route });
  // host: undefined keeps a DOCKER_HOST in our own environment from redirecting the requests.
  // timeout: a request the engine (or a dropped connection) leaves unanswered this long fails
  const docker = new Docker({ socketPath, agent, protocol: 'http', host: undefined, timeout: requestTimeoutMs } as Docker.DockerOptions);
  return new DockerodeEngine(node, docker, agent);
}

/** The Docker engine behind a Unix socket on this machine (a lab node's, a scratch engine's); `node` names it in errors. */
export function localDocker(node: string, socketPath: string): DockerodeEngine {
  return new DockerodeEngine(node, new Docker({ socketPath }));
}

/** "cldemo/apache:latest" -> repo + tag; a registry port ("host:5000/x") is not a tag. */
export function splitImageName(name: string): { repo: string; tag: string } {
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name, tag: 'latest' };
}

export class DockerodeEngine implements DockerEngine {
  constructor(
    readonly node: string,
    /** the client itself: for transport tests only (attach, logs, volumes) */
    readonly dockerode: Docker,
    private readonly agent?: StreamLocalAgent,
  ) {}

  /** channels opened to the Docker socket over SSH; fewer than API calls means keep-alive reuse */
  get channelsOpened(): number {
    return this.agent?.channelsOpened ?? 0;
  }

  /** Closes the kept-alive channels. */
  destroy(): void {
    this.agent?.destroy();
  }

  ping(): Promise<void> {
    return this.call('ping', async () => {
      await this.dockerode.ping();
    });
  }

  version(): Promise<string> {
    return this.call('version', async () => (await this.dockerode.version()).Version);
  }

  image(name: string): Promise<ImageInfo | undefined> {
    return this.call(`inspect image ${name}`, async () => {
      const info = await orUndefinedWhenMissing(this.dockerode.getImage(name).inspect());
      if (!info) return undefined;
      return { labels: info.Config?.Labels ?? {}, cmd: info.Config?.Cmd ?? [], exposedPorts: Object.keys(info.Config?.ExposedPorts ?? {}) };
    });
  }

  importImage(tarball: string, name: string, changes: string[]): Promise<void> {
    return this.call(`import ${tarball} as ${name}`, async () => {
      const { repo, tag } = splitImageName(name);
      const progress = await this.dockerode.importImage(tarball, { repo, tag, changes } as object);
      // dockerd answers 200 and reports failures inside the progress stream
      await new Promise<void>((resolve, reject) => {
        this.dockerode.modem.followProgress(progress, (err: Error | null, events: Array<{ error?: string }>) => {
          const failed = err?.message ?? events.find((e) => e.error)?.error;
          if (failed) reject(new NodeError(this.node, `docker import of ${tarball} as ${name} failed: ${failed}`));
          else resolve();
        });
      });
    });
  }

  tagImage(from: string, name: string): Promise<void> {
    return this.call(`tag ${from} as ${name}`, async () => {
      await this.dockerode.getImage(from).tag(splitImageName(name));
    });
  }

  listContainers(filter: ContainerFilter = {}): Promise<ContainerSummary[]> {
    return this.call('list containers', async () => {
      const filters = { ...(filter.label ? { label: [filter.label] } : {}), ...(filter.network ? { network: [filter.network] } : {}) };
      const all = await this.dockerode.listContainers({ all: true, filters });
      return all.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), labels: c.Labels ?? {}, running: c.State === 'running', state: c.State }));
    });
  }

  createContainer(spec: ContainerSpec): Promise<string> {
    return this.call(`create container ${spec.name ?? `from ${spec.image}`}`, async () => {
      const created = await this.dockerode.createContainer({
        ...(spec.name ? { name: spec.name } : {}),
        Image: spec.image,
        Labels: spec.labels ?? {},
        HostConfig: { NetworkMode: spec.network, ...(spec.restart ? { RestartPolicy: { Name: spec.restart } } : {}) },
        ...(spec.ip ? { NetworkingConfig: { EndpointsConfig: { [spec.network]: { IPAMConfig: { IPv4Address: spec.ip, ...(spec.ip6 ? { IPv6Address: spec.ip6 } : {}) } } } } } : {}),
      });
      return created.id;
    });
  }

  startContainer(id: string): Promise<void> {
    return this.call(`start container ${id}`, () => this.dockerode.getContainer(id).start());
  }

  inspectContainer(nameOrId: string): Promise<ContainerDetail | undefined> {
    return this.call(`inspect container ${nameOrId}`, async () => {
      const info = await orUndefinedWhenMissing(this.dockerode.getContainer(nameOrId).inspect());
      return info ? containerDetail(info) : undefined;
    });
  }

  containerPid(nameOrId: string): Promise<number | undefined> {
    return this.call(`inspect container ${nameOrId}`, async () => {
      const info = await orUndefinedWhenMissing(this.dockerode.getContainer(nameOrId).inspect());
      const pid = info?.State?.Running ? info.State.Pid : 0;
      return pid > 0 ? pid : undefined;
    });
  }

  removeContainer(id: string): Promise<void> {
    return this.call(`remove container ${id}`, () => this.dockerode.getContainer(id).remove({ force: true }));
  }

  network(name: string): Promise<NetworkInfo | undefined> {
    return this.call(`inspect network ${name}`, async () => {
      const info = (await orUndefinedWhenMissing(this.dockerode.getNetwork(name).inspect())) as Docker.NetworkInspectInfo | undefined;
      // the API matches a name prefix or an id too; only the exact name counts
      return info?.Name === name ? networkInfo(info) : undefined;
    });
  }

  listNetworks(filter: { label?: string } = {}): Promise<NetworkInfo[]> {
    return this.call('list networks', async () => {
      const all = await this.dockerode.listNetworks(filter.label ? { filters: { label: [filter.label] } } : {});
      return all.map(networkInfo);
    });
  }

  createMacvlanNetwork(spec: MacvlanNetworkSpec): Promise<void> {
    return this.call(`create network ${spec.name}`, async () => {
      await this.dockerode.createNetwork({
        Name: spec.name,
        Driver: 'macvlan',
        CheckDuplicate: true,
        Options: { parent: spec.parent },
        ...(spec.ipv6 ? { EnableIPv6: true } : {}),
        IPAM: { Driver: 'default', Config: ipamConfig(spec) },
        Labels: spec.labels,
      });
    });
  }

  removeNetwork(idOrName: string): Promise<void> {
    return this.call(`remove network ${idOrName}`, () => this.dockerode.getNetwork(idOrName).remove());
  }

  /**
   * docker-modem applies the client's request timeout to a stream as an idle timeout, which
   * would end a quiet event stream after 120 s without a word: once the stream's answer has
   * come, its socket's idle timeout is cleared (a dead node is noticed by SSH keepalives).
   */
  containerEvents(filter: { label?: string; actions: string[]; since?: number }, onEvent: (e: ContainerEvent) => void): Promise<ContainerEventStream> {
    return this.call('watch events', async () => {
      const filters = { type: ['container' as const], event: filter.actions, ...(filter.label ? { label: [filter.label] } : {}) };
      const query = { filters, ...(filter.since !== undefined ? { since: dockerTime(filter.since) } : {}) };
      // `since` as Docker writes it (seconds.nanoseconds); the typings say number
      const stream = (await this.dockerode.getEvents(query as unknown as Docker.GetEventsOptions)) as unknown as http.IncomingMessage;
      stream.socket?.setTimeout(0);
      return followEvents(stream, onEvent);
    });
  }

  /** A failure of the engine names the node; our own typed errors (the tunnel's) pass as they are. */
  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof CldemoError) throw e;
      throw new NodeError(this.node, `docker ${what}: ${messageOf(e)}`);
    }
  }
}

/** Lines of an event stream as events; the stream's own end (not close()) resolves `ended` with why. */
function followEvents(stream: http.IncomingMessage, onEvent: (e: ContainerEvent) => void): ContainerEventStream {
  let closed = false;
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const e = parseContainerEvent(line);
      if (e && !closed) onEvent(e);
    }
  });
  const ended = new Promise<string>((resolve) => {
    const done = (why: string) => {
      if (!closed) resolve(why);
      closed = true;
    };
    stream.once('error', (e) => done(`Docker event stream failed: ${messageOf(e)}`));
    stream.once('end', () => done('dockerd ended the event stream'));
    stream.once('close', () => done('the connection to dockerd closed'));
  });
  const date = Date.parse(String(stream.headers.date ?? ''));
  return {
    ended,
    ...(Number.isFinite(date) ? { startedAt: date } : {}),
    close: () => {
      closed = true;
      stream.destroy();
    },
  };
}

/** Docker's `since` for epoch ms: seconds and nanoseconds, to the microsecond (events carry no more), `1764417600.123456000`. */
export function dockerTime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const micros = Math.min(999_999, Math.max(0, Math.round((ms - seconds * 1000) * 1000)));
  return `${seconds}.${String(micros).padStart(6, '0')}000`;
}

/** Docker writes a time it never had as 0001-01-01T00:00:00Z. */
function dockerDate(s: string | undefined): number | undefined {
  const t = s ? Date.parse(s) : NaN;
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

type EndpointInfo = { IPAddress?: string; GlobalIPv6Address?: string; IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null };

function containerDetail(info: Docker.ContainerInspectInfo): ContainerDetail {
  const state = info.State;
  const endpoints = (info.NetworkSettings?.Networks ?? {}) as Record<string, EndpointInfo>;
  // a stopped container's endpoint has no address; the one it was given is in its IPAM config
  const networks = Object.fromEntries(
    Object.entries(endpoints).map(([name, e]) => {
      const ip = e.IPAddress || e.IPAMConfig?.IPv4Address || undefined;
      const ip6 = e.GlobalIPv6Address || e.IPAMConfig?.IPv6Address || undefined;
      return [name, { ...(ip ? { ip } : {}), ...(ip6 ? { ip6 } : {}) }];
    }),
  );
  const startedAt = dockerDate(state?.StartedAt);
  const finishedAt = dockerDate(state?.FinishedAt);
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    labels: info.Config?.Labels ?? {},
    state: state?.Status ?? 'unknown',
    running: state?.Running === true,
    exitCode: state?.ExitCode ?? 0,
    oomKilled: state?.OOMKilled === true,
    ...(state?.Error ? { error: state.Error } : {}),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    restartCount: info.RestartCount ?? 0,
    networks,
  };
}

type IpamEntry = { Subnet?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> };

/** The IPv4 pool, and beside it (dual stack) the IPv6 one. */
function ipamConfig(spec: MacvlanNetworkSpec): never[] {
  const v4: IpamEntry = { Subnet: spec.subnet, Gateway: spec.gateway, AuxiliaryAddresses: spec.auxAddresses };
  const v6: IpamEntry[] = spec.ipv6 ? [{ Subnet: spec.ipv6.subnet, Gateway: spec.ipv6.gateway, AuxiliaryAddresses: spec.ipv6.auxAddresses }] : [];
  return [v4, ...v6] as never[];
}

function networkInfo(n: Docker.NetworkInspectInfo): NetworkInfo {
  // one IPAM entry per family; an IPv6 one has a ':' in its subnet
  const entries = (n.IPAM?.Config ?? []) as IpamEntry[];
  const ipam = entries.find((e) => !e.Subnet?.includes(':'));
  const ipam6 = n.EnableIPv6 ? entries.find((e) => e.Subnet?.includes(':')) : undefined;
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    parent: n.Options?.parent,
    subnet: ipam?.Subnet,
    gateway: ipam?.Gateway,
    auxAddresses: ipam?.AuxiliaryAddresses ?? {},
    ...(ipam6 ? { ipv6: { subnet: ipam6.Subnet, gateway: ipam6.Gateway, auxAddresses: ipam6.AuxiliaryAddresses ?? {} } } : {}),
    labels: n.Labels ?? {},
  };
}

/** dockerode rejects a missing object with statusCode 404. */
async function orUndefinedWhenMissing<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (e) {
    if ((e as { statusCode?: number })?.statusCode === 404) return undefined;
    throw e;
  }
}

/**
 * One line of Docker's event stream as cldemo's event; a line that is not a container event
 * with a name and a time (a partial write, a daemon's other chatter) is skipped, not thrown.
 */
export function parseContainerEvent(line: string): ContainerEvent | undefined {
  let ev: { Action?: unknown; timeNano?: unknown; Actor?: { ID?: unknown; Attributes?: { name?: unknown; exitCode?: unknown } } };
  try {
    ev = JSON.parse(line);
  } catch {
    return undefined;
  }
  const container = ev?.Actor?.Attributes?.name;
  const exit = ev?.Actor?.Attributes?.exitCode;
  if (typeof container !== 'string' || typeof ev.Action !== 'string' || typeof ev.timeNano !== 'number') return undefined;
  const id = ev.Actor?.ID;
  const at = Math.floor(ev.timeNano / 1000) / 1000;
  return { action: ev.Action, container, at, ...(exit !== undefined ? { exitCode: Number(exit) } : {}), ...(typeof id === 'string' && id ? { id } : {}) };
}
