/**
 * The connections of one cldemo run: one per node, one per jump host, reconnects
 * single-flight, every one closed at the end.
 */

import type { Duplex } from 'node:stream';
import type { NodeSSH } from 'node-ssh';
import { NodeError } from '../errors.js';
import type { Mgmt } from '../topology/types.js';
import type { NodeConnection } from './node-connection.js';
import { connectNode, forwardTo, openSsh, type ConnectOptions, type KnownHosts } from './ssh-connect.js';
import { SshNodeConnection } from './ssh-connection.js';
import type { SshTarget } from './ssh-config.js';

/**
 * The connections of one cldemo run, keyed by node name. Every `get` of a node shares one
 * handshake: concurrent `get`s of a new node, and of a node whose connection dropped (the
 * first `get` to see the drop reconnects, the others wait for that same connection). A failed
 * connect is forgotten so a later `get` tries again. `closeAll` closes every connection the
 * pool opened, those still in their handshake included, and the pool takes no more `get`s.
 */
export class ConnectionPool {
  private readonly opts: ConnectOptions;
  private readonly connections = new Map<string, Promise<NodeConnection>>();
  /** the latest connection each node's `get` resolved to, to tell a dropped one synchronously */
  private readonly opened = new Map<string, NodeConnection>();
  /** every connect started and not yet closed, whichever node it is now for: closeAll closes them all */
  private readonly live = new Set<Promise<NodeConnection>>();
  /** one connection per jump host, shared by every node behind it */
  private readonly bastions = new Map<string, Promise<NodeSSH>>();
  private readonly liveBastions = new Set<Promise<NodeSSH>>();
  private readonly connect: typeof connectNode;
  private closed = false;
  /** handshakes started; the point of the pool is that this stays at one per node */
  handshakes = 0;
  /** handshakes with jump hosts: one per bastion, however many nodes sit behind it */
  bastionHandshakes = 0;

  constructor(opts: ConnectOptions = {}, connect: typeof connectNode = connectNode) {
    this.opts = { ...opts, tunnel: opts.tunnel ?? ((node, target, via, known) => this.tunnel(node, target, via, known)) };
    this.connect = connect;
  }

  async get(node: string, mgmt: Mgmt): Promise<NodeConnection> {
    for (;;) {
      if (this.closed) throw new NodeError(node, 'the connection pool is closed (the command is ending)');
      const current = this.connections.get(node) ?? this.reconnect(node, mgmt);
      const c = await current.catch((e: unknown) => {
        // a failed connect is this get's answer, unless another get has started a new one since
        if (this.connections.get(node) === undefined || this.connections.get(node) === current) throw e;
        return undefined;
      });
      if (c && !isStale(c)) {
        if (!this.closed) return c;
        continue; // closeAll ran while we waited: say so rather than hand out a closed connection
      }
      // dropped: the first get to notice it reconnects; later ones find the new connect in the map
      if (c && this.connections.get(node) === current) {
        this.connections.delete(node);
        this.forget(current, c);
      }
    }
  }

  private reconnect(node: string, mgmt: Mgmt): Promise<NodeConnection> {
    this.handshakes += 1;
    const pending = this.connect(node, mgmt, this.opts);
    this.connections.set(node, pending);
    this.live.add(pending);
    pending.then(
      (c) => {
        if (this.connections.get(node) === pending) this.opened.set(node, c);
      },
      () => {
        this.live.delete(pending);
        if (this.connections.get(node) === pending) this.connections.delete(node);
      },
    );
    return pending;
  }

  /** A dropped connection is closed for good (its client may still hold a socket) and no longer tracked. */
  private forget(pending: Promise<NodeConnection>, c: NodeConnection): void {
    this.live.delete(pending);
    void c.close().catch(() => undefined);
  }

  /** True when the node's connection was open and has since dropped (the next `get` reconnects). */
  isLost(node: string): boolean {
    const c = this.opened.get(node);
    return c !== undefined && isStale(c);
  }

  /** A channel to `target` through the shared connection to `via`, opened on first use (one handshake however many ask at once). */
  private async tunnel(node: string, target: SshTarget, via: SshTarget, known: KnownHosts): Promise<Duplex> {
    const key = `${via.user}@${via.host}:${via.port}`;
    for (;;) {
      if (this.closed) throw new NodeError(node, 'the connection pool is closed (the command is ending)');
      let bastion = this.bastions.get(key);
      if (!bastion) {
        this.bastionHandshakes += 1;
        const pending = openSsh(node, via, known, this.opts, undefined, 'bastion ');
        bastion = pending;
        this.bastions.set(key, pending);
        this.liveBastions.add(pending);
        pending.catch(() => {
          this.liveBastions.delete(pending);
          if (this.bastions.get(key) === pending) this.bastions.delete(key);
        });
      }
      const current = bastion;
      const b = await current.catch((e: unknown) => {
        if (this.bastions.get(key) === undefined || this.bastions.get(key) === current) throw e;
        return undefined;
      });
      if (b?.isConnected() && !this.closed) return forwardTo(node, b, target);
      if (b && this.bastions.get(key) === current) {
        this.bastions.delete(key);
        this.liveBastions.delete(current);
        b.dispose();
      }
    }
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    this.connections.clear();
    this.opened.clear();
    this.bastions.clear();
    // a connect still in its handshake is waited for, then closed
    const all = [...this.live];
    this.live.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
    const bastions = [...this.liveBastions];
    this.liveBastions.clear();
    await Promise.all(bastions.map((p) => p.then((b) => b.dispose()).catch(() => undefined)));
  }
}

function isStale(c: NodeConnection): boolean {
  return c instanceof SshNodeConnection && !c.isOpen;
}

