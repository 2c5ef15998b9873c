/**
 * An sshd in this process (ssh2's Server on 127.0.0.1, a port of its own), for the transport
 * tests that need no root: it counts handshakes and open connections, can drop them all
 * (a node rebooting under cldemo), hold logins back (a handshake in flight), run commands
 * the test answers, and forward channels to a local Unix socket (a Docker socket) or a
 * local TCP port (as a jump host does).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type Connection, type ParsedKey, type ServerChannel } from 'ssh2';
import type { Mgmt } from '../../src/topology/types.js';

const { Server, utils } = ssh2;

export interface ExecCall {
  command: string;
  pty: boolean;
  channel: ServerChannel;
}

export interface FakeSshdOptions {
  /** answers a command; the default exits 0 at once */
  onExec?: (call: ExecCall) => void;
  /** a `direct-streamlocal` channel to this path reaches that Unix socket */
  streamLocal?: (socketPath: string) => string | undefined;
}

export interface FakeSshd {
  port: number;
  mgmt: Mgmt;
  /** handshakes that reached a login */
  logins(): number;
  /** every authentication request, in order: `none`, `publickey` (a query), `publickey+signature` */
  authRequests(): string[];
  /** connections open now (the server's side) */
  open(): number;
  /** ends every open connection from the server's side */
  dropAll(): void;
  /** logins wait until the returned function is called */
  holdLogins(): () => void;
  /** resolves once no connection is open (or rejects after ms) */
  allClosed(ms?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startFakeSshd(opts: FakeSshdOptions = {}): Promise<FakeSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-fake-sshd-'));
  const hostKey = ed25519();
  const userKey = ed25519();
  const userPublic = utils.parseKey(userKey.public) as ParsedKey;
  writeFileSync(join(dir, 'id_ed25519'), userKey.private, { mode: 0o600 });

  const conns = new Set<Connection>();
  let logins = 0;
  const authRequests: string[] = [];
  let held: Promise<void> | undefined;
  let closeWaiters: Array<() => void> = [];
  const onExec =
    opts.onExec ??
    ((c: ExecCall) => {
      c.channel.exit(0);
      c.channel.end();
    });

  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    conns.add(client);
    client.on('error', () => undefined);
    client.on('close', () => {
      conns.delete(client);
      if (conns.size === 0) closeWaiters.splice(0).forEach((w) => w());
    });
    client.on('authentication', (ctx) => {
      authRequests.push(ctx.method === 'publickey' && ctx.signature ? 'publickey+signature' : ctx.method);
      if (ctx.method !== 'publickey' || ctx.key.algo !== userPublic.type || !ctx.key.data.equals(userPublic.getPublicSSH())) return ctx.reject(['publickey']);
      if (ctx.signature && !userPublic.verify(ctx.blob!, ctx.signature, ctx.hashAlgo)) return ctx.reject(['publickey']);
      if (!ctx.signature) return ctx.accept();
      logins += 1;
      void (held ?? Promise.resolve()).then(() => ctx.accept());
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        let pty = false;
        session.on('pty', (ok) => {
          pty = true;
          ok?.();
        });
        session.on('exec', (ok, _reject, info) => onExec({ command: info.command, pty, channel: ok() }));
      });
      client.on('tcpip', (ok, reject, info) => pipeTo(netConnect(info.destPort, info.destIP), ok, reject));
      client.on('openssh.streamlocal', (ok, reject, info) => {
        const path = opts.streamLocal?.(info.socketPath);
        if (!path) return reject();
        pipeTo(netConnect(path), ok, reject);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey.public.split(' ').slice(0, 2).join(' ')}\n`);

  return {
    port,
    mgmt: { host: '127.0.0.1', port, user: 'tester', identityFile: join(dir, 'id_ed25519'), knownHosts },
    logins: () => logins,
    authRequests: () => [...authRequests],
    open: () => conns.size,
    dropAll: () => conns.forEach((c) => c.end()),
    holdLogins() {
      let release!: () => void;
      held = new Promise<void>((r) => (release = r));
      return () => {
        held = undefined;
        release();
      };
    },
    allClosed(ms = 3000) {
      if (conns.size === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${conns.size} SSH connection(s) still open after ${ms} ms`)), ms);
        closeWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    async stop() {
      conns.forEach((c) => c.end());
      closeWaiters = [];
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A key pair ssh2 can read back: its generateKeyPairSync drops a leading zero byte of an
 * ed25519 public key (about 1 key in 250), and such a key is "malformed" to its own parser.
 */
function ed25519(): { private: string; public: string } {
  for (;;) {
    const k = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(k.public) instanceof Error) && !(utils.parseKey(k.private) instanceof Error)) return k;
  }
}

/** Accepts the channel once the local socket is connected, and joins the two. */
function pipeTo(sock: Socket, accept: () => ServerChannel, reject: () => void): void {
  sock.once('error', () => reject());
  sock.once('connect', () => {
    const ch = accept();
    sock.removeAllListeners('error');
    sock.on('error', () => ch.destroy());
    ch.on('error', () => sock.destroy());
    ch.pipe(sock).pipe(ch);
  });
}
