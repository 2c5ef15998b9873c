/**
 * `cldemo graph --serve`: the page, live. One process watches the fabric (events) and
 * re-reads its status shortly after every burst of events; every open page gets both over
 * Server-Sent Events. Listens on 127.0.0.1 unless told otherwise.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FabricContext } from '../fabric/context.js';
import { watchFabric, type FabricEvent } from '../fabric/events.js';
import { fabricStatus, type StatusReport } from '../fabric/status.js';
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

export async function serveGraph(ctx: FabricContext, opts: ServeOptions): Promise<LiveServer> {
  const graph = fabricGraph(ctx.plan);
  const clients = new Set<http.ServerResponse>();
  let status: StatusReport | undefined;
  let closed = false;

  const send = (msg: unknown) => {
    const line = `data: ${JSON.stringify(msg)}\n\n`;
    for (const c of clients) c.write(line);
  };

  let reading: Promise<void> | undefined;
  let again = false;
  const refresh = (): Promise<void> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = fabricStatus(ctx)
      .then((s) => {
        status = s;
        send({ kind: 'status', status: s });
      })
      .catch(() => undefined)
      .finally(() => {
        reading = undefined;
        if (again && !closed) {
          again = false;
          void refresh();
        }
      });
    return reading;
  };

  let settle: NodeJS.Timeout | undefined;
  const watch = watchFabric(ctx, (e) => {
    opts.onEvent?.(e);
    send({ kind: 'event', event: e });
    clearTimeout(settle);
    settle = setTimeout(() => void refresh(), opts.settleMs ?? 700);
  });
  const periodic = setInterval(() => void refresh(), opts.refreshMs ?? 10_000);

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(toHtml(graph, { live: true, status }));
    } else if (path === '/status') {
      res.writeHead(status ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status ?? { error: 'status not read yet' }));
    } else if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': cldemo events\n\n');
      if (status) res.write(`data: ${JSON.stringify({ kind: 'status', status })}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}/`,
    ready: Promise.all([watch.ready, refresh()]).then(() => undefined),
    async close() {
      closed = true;
      clearTimeout(settle);
      clearInterval(periodic);
      await watch.stop();
      for (const c of clients) c.end();
      await new Promise<void>((r) => server.close(() => r()));
      await reading;
    },
  };
}
