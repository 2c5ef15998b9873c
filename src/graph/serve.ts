/**
 * `cldemo graph --serve`: the page, live. One process watches the fabric (events) and
 * re-reads its status shortly after every burst of events; every open page gets both over
 * Server-Sent Events. Listens on 127.0.0.1 unless told otherwise.
 */
import http from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { OperationError, messageOf } from '../errors.js';
import type { FabricContext } from '../fabric/context.js';
import { watchFabric } from '../fabric/observe/events.js';
import type { FabricEvent, StatusReport } from '../fabric/observe/formats.js';
import { fabricStatus } from '../fabric/observe/status.js';
import { fabricGraph } from './model.js';
import { toHtml } from './html.js';

export interface LiveServer {
  url: string;
  /** resolves once the fabric is being watched */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  port: number;
  /** status is read again this long after the last event of a burst */
  settleMs?: number;
  /** and at least this often */
  refreshMs?: number;
  onEvent?: (e: FabricEvent) => void;
}

/**
 * Listens first, then watches: a port that is taken fails at once, before any node is
 * contacted, and leaves nothing running (the caller's process can exit).
 */
export async function serveGraph(ctx: FabricContext, opts: ServeOptions): Promise<LiveServer> {
  const page = fabricGraph(ctx.plan);
  const clients = new Clients();
  const reader = new StatusReader(ctx, (status) => clients.send({ kind: 'status', status }));
  const server = http.createServer((req, res) => route(req, res, { page, status: reader.status, clients }));
  const url = await listen(server, opts);

  let settle: NodeJS.Timeout | undefined;
  const watch = watchFabric(ctx, (e) => {
    opts.onEvent?.(e);
    clients.send({ kind: 'event', event: e });
    clearTimeout(settle);
    settle = setTimeout(() => void reader.refresh(), opts.settleMs ?? 700);
  });
  const periodic = setInterval(() => void reader.refresh(), opts.refreshMs ?? 10_000);
  return {
    url,
    ready: Promise.all([watch.ready, reader.refresh()]).then(() => undefined),
    async close() {
      reader.stop();
      clearTimeout(settle);
      clearInterval(periodic);
      await watch.stop();
      clients.endAll();
      await new Promise<void>((r) => server.close(() => r()));
      await reader.idle();
    },
  };
}

/** The open /events streams; every message goes to each. */
class Clients {
  private readonly open = new Set<http.ServerResponse>();

  send(msg: unknown): void {
    const line = `data: ${JSON.stringify(msg)}\n\n`;
    for (const c of this.open) c.write(line);
  }

  add(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.open.add(res);
    req.on('close', () => this.open.delete(res));
  }

  endAll(): void {
    for (const c of this.open) c.end();
  }
}

/** Reads the fabric's status, one read at a time: a refresh asked for during a read runs once after it. */
class StatusReader {
  status: StatusReport | undefined;
  private reading: Promise<void> | undefined;
  private closed = false;
  private again = false;

  constructor(
    private readonly ctx: FabricContext,
    private readonly onStatus: (s: StatusReport) => void,
  ) {}

  /** No read starts after this one. */
  stop(): void {
    this.closed = true;
  }

  /** Resolves when no read is under way. */
  async idle(): Promise<void> {
    await this.reading;
  }

  refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = fabricStatus(this.ctx)
      .then((s) => {
        this.status = s;
        this.onStatus(s);
      })
      .catch(() => undefined)
      .finally(() => {
        this.reading = undefined;
        if (this.again && !this.closed) {
          this.again = false;
          void this.refresh();
        }
      });
    return this.reading;
  }
}

interface Served {
  page: ReturnType<typeof fabricGraph>;
  status: StatusReport | undefined;
  clients: Clients;
}

/** The page, its status as JSON, the event stream; anything else is 404. */
function route(req: http.IncomingMessage, res: http.ServerResponse, { page, status, clients }: Served): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/' || path === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(toHtml(page, { live: true, status }));
  } else if (path === '/status') {
    res.writeHead(status ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status ?? { error: 'status not read yet' }));
  } else if (path === '/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': cldemo events\n\n');
    if (status) res.write(`data: ${JSON.stringify({ kind: 'status', status })}\n\n`);
    clients.add(req, res);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  }
}

/** Listens and answers the URL the page is at; a port that cannot be had is one line naming it. */
async function listen(server: http.Server, opts: ServeOptions): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const where = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
      const why =
        e.code === 'EADDRINUSE'
          ? 'the port is in use (EADDRINUSE): stop what holds it, or give another with --port'
          : e.code === 'EACCES'
            ? 'permission denied (EACCES): ports below 1024 need root'
            : messageOf(e);
      reject(new OperationError(`graph --serve cannot listen on ${where}: ${why}`));
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  return serverUrl(server.address() as AddressInfo);
}

/** The URL of a listening address: an IPv6 one in brackets (RFC 3986), whatever form the address family is reported in. */
export function serverUrl(addr: AddressInfo): string {
  const host = isIPv6(addr.address) ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}/`;
}
