/**
 * What cldemo asks of a Docker engine, in its own words: networks, containers, events and
 * image loading. One implementation (docker.ts, over dockerode) talks to an engine through
 * a node's SSH connection or a local socket; unit tests fake this interface, not dockerode.
 * Every method throws a NodeError naming the engine's node when the engine fails.
 */

type Labels = Record<string, string>;

export interface ContainerSummary {
  id: string;
  /** without docker's leading slash */
  name: string;
  labels: Labels;
  running: boolean;
  /** docker's own word: created, running, paused, restarting, exited, dead */
  state: string;
}

/** One container in detail (docker inspect): its state, its last exit, and its addresses on each network. */
export interface ContainerDetail {
  id: string;
  name: string;
  labels: Labels;
  /** docker's own word: created, running, paused, restarting, exited, dead */
  state: string;
  running: boolean;
  /** its last exit status (0 before it ever exited) */
  exitCode: number;
  oomKilled: boolean;
  /** what the engine said when it could not start it */
  error?: string;
  /** epoch ms; undefined when it never started (or never stopped) */
  startedAt?: number;
  finishedAt?: number;
  restartCount: number;
  /** network name -> the container's addresses there (while stopped: the ones it was given) */
  networks: Record<string, { ip?: string; ip6?: string }>;
}

/** A macvlan (or any) network as cldemo compares it with the plan. */
export interface NetworkInfo {
  id: string;
  name: string;
  driver: string;
  /** the driver's `parent` option (macvlan) */
  parent?: string;
  subnet?: string;
  gateway?: string;
  auxAddresses: Record<string, string>;
  /** its IPv6 pool, when it has IPv6 enabled */
  ipv6?: Ipv6Pool;
  labels: Labels;
}

/** A network's IPv6 pool (Docker's EnableIPv6 and a second IPAM entry). */
export interface Ipv6Pool {
  subnet?: string;
  gateway?: string;
  auxAddresses: Record<string, string>;
}

export interface MacvlanNetworkSpec {
  name: string;
  parent: string;
  subnet: string;
  gateway: string;
  auxAddresses: Record<string, string>;
  /** dual stack: IPv6 enabled, with this pool beside the IPv4 one */
  ipv6?: Required<Ipv6Pool>;
  labels: Labels;
}

export interface ContainerSpec {
  name?: string;
  image: string;
  labels?: Labels;
  /** a network name, or `host` */
  network: string;
  /** the container's fixed IPv4 address on `network` */
  ip?: string;
  /** and its fixed IPv6 address (a network with IPv6 enabled) */
  ip6?: string;
  restart?: 'no' | 'unless-stopped';
}

export interface ImageInfo {
  labels: Labels;
  cmd: string[];
  exposedPorts: string[];
}

/** One container event: `start`, `kill`, `die`, ... at the engine's own time. */
export interface ContainerEvent {
  action: string;
  container: string;
  /** epoch milliseconds (sub-millisecond precision) */
  at: number;
  /** `die`: the container's exit status */
  exitCode?: number;
  /** the container's id, when the engine said (tells a replayed event from a new one) */
  id?: string;
}

/** A stream of container events: quiet for hours is normal; its end is reported, never swallowed. */
export interface ContainerEventStream {
  /** resolves, with why, when the stream ends by itself (dockerd stopped, the connection dropped); not after close() */
  ended: Promise<string>;
  /** the engine's clock when the stream began (its HTTP Date header, whole seconds), epoch ms */
  startedAt?: number;
  close(): void;
}

export interface ContainerFilter {
  /** `key=value` */
  label?: string;
  network?: string;
}

export interface DockerEngine {
  /** Resolves when the engine answers; the error says dockerd does not. */
  ping(): Promise<void>;
  /** The engine's version string. */
  version(): Promise<string>;
  /** The image by name, or undefined when the engine has no such image. */
  image(name: string): Promise<ImageInfo | undefined>;
  /** `docker import` of a rootfs tarball as `name`, with Dockerfile-style `changes`. */
  importImage(tarball: string, name: string, changes: string[]): Promise<void>;
  /** Gives the image `from` a second name. */
  tagImage(from: string, name: string): Promise<void>;
  /** Every container, running or not, matching `filter`. */
  listContainers(filter?: ContainerFilter): Promise<ContainerSummary[]>;
  /** Creates the container and returns its id (not started). */
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** The container in detail, or undefined when the engine has none by that name or id. */
  inspectContainer(nameOrId: string): Promise<ContainerDetail | undefined>;
  /** The process id of a running container's first process (its network namespace is /proc/PID/ns/net); undefined when it is not running or absent. */
  containerPid(nameOrId: string): Promise<number | undefined>;
  /** Removes it, running or not. */
  removeContainer(id: string): Promise<void>;
  /** The network with exactly this name, or undefined. */
  network(name: string): Promise<NetworkInfo | undefined>;
  listNetworks(filter?: { label?: string }): Promise<NetworkInfo[]>;
  createMacvlanNetwork(spec: MacvlanNetworkSpec): Promise<void>;
  removeNetwork(idOrName: string): Promise<void>;
  /**
   * Container events as they happen (those since `since`, epoch ms, first, when given), until
   * `close()` or the stream's end. The stream has no idle timeout; only its start has one.
   */
  containerEvents(filter: { label?: string; actions: string[]; since?: number }, onEvent: (e: ContainerEvent) => void): Promise<ContainerEventStream>;
}
