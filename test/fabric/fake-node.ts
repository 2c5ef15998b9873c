/**
 * A fake NodeConnection: a file store, a log of every command, canned answers, and a small
 * in-memory Docker engine. Enough to drive the fabric core without a lab.
 */
import type Docker from 'dockerode';
import type { ExecResult, NodeConnection } from '../../src/transport/ssh.js';
import { NodeError } from '../../src/errors.js';
import type { Connect } from '../../src/fabric/context.js';

export type Responder = (command: string) => Partial<ExecResult> | undefined;

interface FakeContainer {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State: string;
  network: string;
  ip: string;
}

export class FakeDocker {
  up = true;
  images = new Set<string>();
  networks = new Map<string, { Name: string; Id: string; Driver: string; Options: Record<string, string>; IPAM: unknown; Labels: Record<string, string> }>();
  containers: FakeContainer[] = [];
  calls: string[] = [];
  private seq = 0;

  private guard() {
    if (!this.up) throw Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' });
  }
  private notFound(what: string) {
    return Object.assign(new Error(`no such ${what}`), { statusCode: 404 });
  }

  api(): Docker {
    return {
      ping: async () => {
        this.guard();
        return 'OK';
      },
      getImage: (name: string) => ({
        inspect: async () => {
          this.guard();
          if (!this.images.has(name)) throw this.notFound('image');
          return { Id: name };
        },
      }),
      getNetwork: (name: string) => ({
        inspect: async () => {
          this.guard();
          const n = this.networks.get(name) ?? [...this.networks.values()].find((x) => x.Id === name);
          if (!n) throw this.notFound('network');
          return n;
        },
        remove: async () => {
          this.calls.push(`network.remove ${name}`);
          const n = this.networks.get(name) ?? [...this.networks.values()].find((x) => x.Id === name);
          if (n) this.networks.delete(n.Name);
        },
      }),
      createNetwork: async (opts: { Name: string; Driver: string; Options: Record<string, string>; IPAM: unknown; Labels: Record<string, string> }) => {
        this.guard();
        this.calls.push(`network.create ${opts.Name}`);
        this.networks.set(opts.Name, { Name: opts.Name, Id: `net${++this.seq}`, Driver: opts.Driver, Options: opts.Options, IPAM: opts.IPAM, Labels: opts.Labels });
      },
      listNetworks: async (opts: { filters?: { label?: string[] } } = {}) => {
        this.guard();
        return [...this.networks.values()].filter((n) => matchesLabels(n.Labels, opts.filters?.label));
      },
      listContainers: async (opts: { filters?: { label?: string[] } } = {}) => {
        this.guard();
        return this.containers.filter((c) => matchesLabels(c.Labels, opts.filters?.label)).map((c) => ({ ...c }));
      },
      getContainer: (id: string) => ({
        remove: async () => {
          this.calls.push(`container.remove ${this.containers.find((c) => c.Id === id)?.Names[0]}`);
          this.containers = this.containers.filter((c) => c.Id !== id);
        },
        start: async () => {
          const c = this.containers.find((x) => x.Id === id)!;
          this.calls.push(`container.start ${c.Names[0]}`);
          c.State = 'running';
        },
      }),
      createContainer: async (opts: { name: string; Labels: Record<string, string>; HostConfig: { NetworkMode: string }; NetworkingConfig: { EndpointsConfig: Record<string, { IPAMConfig: { IPv4Address: string } }> } }) => {
        this.guard();
        this.calls.push(`container.create ${opts.name}`);
        const net = opts.HostConfig.NetworkMode;
        const c: FakeContainer = { Id: `c${++this.seq}`, Names: [`/${opts.name}`], Labels: opts.Labels, State: 'created', network: net, ip: opts.NetworkingConfig.EndpointsConfig[net].IPAMConfig.IPv4Address };
        this.containers.push(c);
        return {
          start: async () => {
            this.calls.push(`container.start /${opts.name}`);
            c.State = 'running';
          },
        };
      },
    } as unknown as Docker;
  }
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
  responders: Responder[] = [];
  dockerd = new FakeDocker();

  constructor(node: string) {
    this.node = node;
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
    return { code: 0, stdout: '', stderr: '' };
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

  async putFile(content: string | Buffer, remotePath: string): Promise<void> {
    this.uploads.push(remotePath);
    this.files.set(remotePath, String(content));
  }

  async getFile(remotePath: string): Promise<string | null> {
    return this.files.get(remotePath) ?? null;
  }

  docker(): Docker {
    return this.dockerd.api();
  }

  async close(): Promise<void> {}
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
