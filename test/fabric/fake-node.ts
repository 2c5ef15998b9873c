/**
 * A fake NodeConnection: a file store, a log of every command, canned answers, and a small
 * in-memory Docker engine (cldemo's DockerEngine interface). Enough to drive the fabric
 * core without a lab.
 */
import type { ContainerDetail, ContainerEventStream, ContainerSpec, ContainerSummary, DockerEngine, ImageInfo, MacvlanNetworkSpec, NetworkInfo } from '../../src/transport/docker-engine.js';
import type { ExecResult, NodeConnection } from '../../src/transport/node-connection.js';
import { NodeError } from '../../src/errors.js';
import type { Connect } from '../../src/fabric/context.js';

export type Responder = (command: string) => Partial<ExecResult> | undefined;

/** Stored the way `docker inspect` shows them, so tests read like the engine's own data. */
interface FakeContainer {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State: string;
  network: string;
  ip: string;
  ip6?: string;
  ExitCode?: number;
  /** epoch ms */
  StartedAt?: number;
  FinishedAt?: number;
}

interface FakeNetwork {
  Name: string;
  Id: string;
  Driver: string;
  Options: Record<string, string>;
  IPAM: { Config: { Subnet?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[] };
  EnableIPv6?: boolean;
  Labels: Record<string, string>;
}

export class FakeDocker implements DockerEngine {
  up = true;
  images = new Set<string>();
  networks = new Map<string, FakeNetwork>();
  containers: FakeContainer[] = [];
  calls: string[] = [];
  /** container names whose create fails */
  failCreate = new Set<string>();
  private seq = 0;

  constructor(private readonly node = 'fake') {}

  private guard(): void {
    if (!this.up) throw new NodeError(this.node, 'docker ping: connect ECONNREFUSED /var/run/docker.sock');
  }

  async ping(): Promise<void> {
    this.guard();
  }

  async version(): Promise<string> {
    this.guard();
    return '20.10.24';
  }

  async image(name: string): Promise<ImageInfo | undefined> {
    this.guard();
    return this.images.has(name) ? { labels: {}, cmd: [], exposedPorts: [] } : undefined;
  }

  async importImage(_tarball: string, name: string): Promise<void> {
    this.guard();
    this.images.add(name);
  }

  async tagImage(_from: string, name: string): Promise<void> {
    this.images.add(name);
  }

  async listContainers(filter: { label?: string; network?: string } = {}): Promise<ContainerSummary[]> {
    this.guard();
    return this.containers
      .filter((c) => matchesLabels(c.Labels, filter.label ? [filter.label] : undefined) && (!filter.network || c.network === filter.network))
      .map((c) => ({ id: c.Id, name: c.Names[0].replace(/^\//, ''), labels: { ...c.Labels }, running: c.State === 'running', state: c.State }));
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    this.guard();
    this.calls.push(`container.create ${spec.name}`);
    if (spec.name && this.failCreate.has(spec.name)) throw new NodeError(this.node, `docker create container ${spec.name}: Conflict`);
    const c: FakeContainer = { Id: `c${++this.seq}`, Names: [`/${spec.name}`], Labels: spec.labels ?? {}, State: 'created', network: spec.network, ip: spec.ip ?? '', ...(spec.ip6 ? { ip6: spec.ip6 } : {}) };
    this.containers.push(c);
    return c.Id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.containers.find((x) => x.Id === id)!;
    this.calls.push(`container.start ${c.Names[0]}`);
    c.State = 'running';
  }

  async inspectContainer(nameOrId: string): Promise<ContainerDetail | undefined> {
    this.guard();
    const c = this.containers.find((x) => x.Id === nameOrId || x.Names[0] === `/${nameOrId}`);
    if (!c) return undefined;
    const on = c.network && c.network !== 'none' ? { [c.network]: { ...(c.ip ? { ip: c.ip } : {}), ...(c.ip6 ? { ip6: c.ip6 } : {}) } } : {};
    return {
      id: c.Id,
      name: c.Names[0].replace(/^\//, ''),
      labels: { ...c.Labels },
      state: c.State,
      running: c.State === 'running',
      exitCode: c.ExitCode ?? 0,
      oomKilled: false,
      ...(c.StartedAt !== undefined ? { startedAt: c.StartedAt } : {}),
      ...(c.FinishedAt !== undefined ? { finishedAt: c.FinishedAt } : {}),
      restartCount: 0,
      networks: on,
    };
  }

  async containerPid(nameOrId: string): Promise<number | undefined> {
    this.guard();
    const i = this.containers.findIndex((c) => c.Id === nameOrId || c.Names[0] === `/${nameOrId}`);
    return i >= 0 && this.containers[i].State === 'running' ? 1000 + i : undefined;
  }

  async removeContainer(id: string): Promise<void> {
    this.calls.push(`container.remove ${this.containers.find((c) => c.Id === id)?.Names[0]}`);
    this.containers = this.containers.filter((c) => c.Id !== id);
  }

  async network(name: string): Promise<NetworkInfo | undefined> {
    this.guard();
    const n = this.networks.get(name);
    return n ? networkInfo(n) : undefined;
  }

  async listNetworks(filter: { label?: string } = {}): Promise<NetworkInfo[]> {
    this.guard();
    return [...this.networks.values()].filter((n) => matchesLabels(n.Labels, filter.label ? [filter.label] : undefined)).map(networkInfo);
  }

  async createMacvlanNetwork(spec: MacvlanNetworkSpec): Promise<void> {
    this.guard();
    this.calls.push(`network.create ${spec.name}`);
    this.networks.set(spec.name, {
      Name: spec.name,
      Id: `net${++this.seq}`,
      Driver: 'macvlan',
      Options: { parent: spec.parent },
      IPAM: { Config: [{ Subnet: spec.subnet, Gateway: spec.gateway, AuxiliaryAddresses: spec.auxAddresses }, ...(spec.ipv6 ? [{ Subnet: spec.ipv6.subnet, Gateway: spec.ipv6.gateway, AuxiliaryAddresses: spec.ipv6.auxAddresses }] : [])] },
      ...(spec.ipv6 ? { EnableIPv6: true } : {}),
      Labels: spec.labels,
    });
  }

  async removeNetwork(idOrName: string): Promise<void> {
    this.calls.push(`network.remove ${idOrName}`);
    const n = this.networks.get(idOrName) ?? [...this.networks.values()].find((x) => x.Id === idOrName);
    if (n) this.networks.delete(n.Name);
  }

  async containerEvents(): Promise<ContainerEventStream> {
    return { ended: new Promise<string>(() => undefined), close: () => undefined };
  }
}

function networkInfo(n: FakeNetwork): NetworkInfo {
  const ipam = n.IPAM.Config[0] ?? {};
  const v6 = n.EnableIPv6 ? n.IPAM.Config.find((c) => c.Subnet?.includes(':')) : undefined;
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    parent: n.Options.parent,
    subnet: ipam.Subnet,
    gateway: ipam.Gateway,
    auxAddresses: ipam.AuxiliaryAddresses ?? {},
    ...(v6 ? { ipv6: { subnet: v6.Subnet, gateway: v6.Gateway, auxAddresses: v6.AuxiliaryAddresses ?? {} } } : {}),
    labels: n.Labels,
  };
}

function matchesLabels(labels: Record<string, string>, wanted?: string[]): boolean {
  return (wanted ?? []).every((w) => {
    const [k, v] = w.split('=');
    return labels?.[k] === v;
  });
}

export class FakeNode implements NodeConnection {
  readonly node: string;
  files = new Map<string, string>();
  commands: string[] = [];
  uploads: string[] = [];
  /** the mode each upload asked for */
  modes = new Map<string, number | undefined>();
  responders: Responder[] = [];
  dockerd: FakeDocker;

  constructor(node: string) {
    this.node = node;
    this.dockerd = new FakeDocker(node);
  }

  /** Answers commands matching `pattern` (first responder added wins). */
  on(pattern: RegExp, result: Partial<ExecResult>): this {
    this.responders.push((c) => (pattern.test(c) ? result : undefined));
    return this;
  }

  ran(pattern: RegExp): string[] {
    return this.commands.filter((c) => pattern.test(c));
  }

  async exec(command: string): Promise<ExecResult> {
    this.commands.push(command);
    for (const r of this.responders) {
      const hit = r(command);
      if (hit) return { code: 0, stdout: '', stderr: '', ...hit };
    }
    this.emulateFiles(command);
    return { code: 0, stdout: emulateArpProbe(command), stderr: '' };
  }

  /** The install and cleanup scripts' effect on the file store (mv and rm of whole paths). */
  private emulateFiles(command: string): void {
    for (const m of command.matchAll(/^(?:: > (\S+) && )?mv -f (\S+) (\S+) \|\| exit 1$/gm)) {
      if (m[1]) this.files.set(m[1], '');
      const text = this.files.get(m[2]);
      if (text !== undefined) {
        this.files.set(m[3], text);
        this.files.delete(m[2]);
      }
    }
    const rm = /^rm -f (.+)$/.exec(command);
    if (rm) for (const p of rm[1].split(' ')) this.files.delete(p);
  }

  async putFile(content: string | Buffer, remotePath: string, mode?: number): Promise<void> {
    this.uploads.push(remotePath);
    this.modes.set(remotePath, mode);
    this.files.set(remotePath, String(content));
  }

  async getFile(remotePath: string): Promise<string | null> {
    return this.files.get(remotePath) ?? null;
  }

  docker(): DockerEngine {
    return this.dockerd;
  }

  async close(): Promise<void> {}
}

/** The free-address check on a leaf where nobody holds any of the addresses: `free IP` for each (ARP and, dual stack, ND). */
function emulateArpProbe(command: string): string {
  const asked = [...command.matchAll(/arping -q -c 1 -w 1 -I \S+ (\S+) |ndisc6 -q -1 -r 1 -w 1000 (\S+) /g)];
  return asked.map((m) => `free ${m[1] ?? m[2]}\n`).join('');
}

/** A fleet of fake nodes; names in `unreachable` fail to connect. */
export class FakeFleet {
  nodes = new Map<string, FakeNode>();
  unreachable = new Set<string>();

  get(name: string): FakeNode {
    let n = this.nodes.get(name);
    if (!n) {
      n = new FakeNode(name);
      this.nodes.set(name, n);
    }
    return n;
  }

  connect: Connect = async (node) => {
    if (this.unreachable.has(node.name)) throw new NodeError(node.name, `cannot open SSH to root@${node.mgmt.host}:22: connect ECONNREFUSED`);
    return this.get(node.name);
  };
}
