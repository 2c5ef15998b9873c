/**
 * A bench fixture, not product code: TCP relays on 127.0.0.1 that stand for a long
 * management link. This kernel has no netem, so each node's sshd is reached through a relay
 * of its own that holds every chunk `oneWayMs` in each direction before passing it on (a
 * round trip then costs 2 x oneWayMs more than on the lab's bridge). Order is kept: every
 * chunk waits the same time, and Node fires timers of one duration in the order they were
 * set. An end or a reset is delayed like the data before it.
 *
 * Each relay counts the connections it accepted: how many SSH connections a command opened
 * to that node, seen from the node's side.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface RelayTarget {
  /** the node's name: the counts are kept by it */
  name: string;
  host: string;
  port: number;
}

export interface Relays {
  /** node name -> the local port its relay listens on */
  ports: Map<string, number>;
  /** node name -> connections accepted since the last reset */
  connections(): Map<string, number>;
  resetCounts(): void;
  close(): Promise<void>;
}

/** Passes what `from` sends to `to`, each chunk `delayMs` later; an end or an error likewise. */
function pipeDelayed(from: Socket, to: Socket, delayMs: number): void {
  const later = (fn: () => void): void => {
    if (delayMs <= 0) fn();
    else setTimeout(fn, delayMs);
  };
  let ended = false;
  from.on('data', (chunk: Buffer) => later(() => to.destroyed || to.write(chunk)));
  from.on('end', () => {
    ended = true;
    later(() => to.destroyed || to.end());
  });
  // closed without an end (a reset, an error): the other side is cut too
  from.on('close', () => ended || later(() => to.destroy()));
  from.on('error', () => undefined);
}

/** One relay per target, each on an ephemeral port of 127.0.0.1. */
export async function startRelays(targets: RelayTarget[], oneWayMs: number): Promise<Relays> {
  const counts = new Map<string, number>(targets.map((t) => [t.name, 0]));
  const servers: Server[] = [];
  const open = new Set<Socket>();
  const ports = new Map<string, number>();
  for (const t of targets) {
    const server = createServer({ noDelay: true }, (client) => {
      counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
      const node = connect({ host: t.host, port: t.port, noDelay: true });
      for (const s of [client, node]) {
        open.add(s);
        s.on('close', () => open.delete(s));
      }
      pipeDelayed(client, node, oneWayMs);
      pipeDelayed(node, client, oneWayMs);
    });
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, done);
    });
    servers.push(server);
    ports.set(t.name, (server.address() as AddressInfo).port);
  }
  return {
    ports,
    connections: () => new Map(counts),
    resetCounts: () => {
      for (const k of counts.keys()) counts.set(k, 0);
    },
    close: async () => {
      for (const s of open) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
    },
  };
}
