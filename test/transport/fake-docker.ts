/**
 * A Docker engine in this process, on a Unix socket of its own: just enough of the Engine
 * API for the event stream. `/events` answers at once and stays open, replaying what its
 * log holds since `since=` (as dockerd does, from the last 256 events) before new ones;
 * the test emits events, ends the streams (dockerd restarting), takes the socket away (dockerd
 * down) and brings it back. `/containers/json` never answers (a hung engine).
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeEvent {
  action: string;
  name: string;
  id?: string;
  exitCode?: number;
  /** epoch ms; now when left out */
  at?: number;
}

interface Logged {
  line: string;
  nano: bigint;
}

export interface FakeDocker {
  socketPath: string;
  /** the `since` of every /events request, in order ('' when none) */
  sinces: string[];
  /** /events streams open now */
  streams(): number;
  /** appends to the log and sends to every open stream; returns the event's time (epoch ms, as parsed) */
  emit(e: FakeEvent): number;
  /** ends every open /events response (dockerd going away ends them) */
  endStreams(): void;
  /** dockerd down: the streams end and the socket is gone (connections are refused) */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

const LOG_LIMIT = 256;

export async function startFakeDocker(): Promise<FakeDocker> {
  const dir = mkdtempSync(join(tmpdir(), 'cldemo-fake-docker-'));
  const socketPath = join(dir, 'docker.sock');
  const log: Logged[] = [];
  const open = new Set<http.ServerResponse>();
  const sinces: string[] = [];
  let server: http.Server | undefined;

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://docker');
    if (url.pathname.endsWith('/events')) {
      const since = url.searchParams.get('since') ?? '';
      sinces.push(since);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      const from = since ? nanos(since) : undefined;
      if (from !== undefined) for (const l of log) if (l.nano >= from) res.write(`${l.line}\n`);
      open.add(res);
      res.on('close', () => open.delete(res));
    } else if (url.pathname.endsWith('/containers/json')) {
      // never answers
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(url.pathname.endsWith('/_ping') ? 'OK' : JSON.stringify({ Version: '20.10.24-fake' }));
    }
  };
  const listen = async () => {
    server = http.createServer(handle);
    await new Promise<void>((r) => server!.listen(socketPath, () => r()));
  };
  const close = async () => {
    const s = server;
    server = undefined;
    for (const r of open) r.destroy();
    open.clear();
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  };
  await listen();

  return {
    socketPath,
    sinces,
    streams: () => open.size,
    emit(e) {
      const at = e.at ?? Date.now();
      const nano = BigInt(Math.floor(at)) * 1_000_000n + BigInt(Math.round((at % 1) * 1e6));
      const attributes: Record<string, string> = { name: e.name, ...(e.exitCode !== undefined ? { exitCode: String(e.exitCode) } : {}) };
      const id = e.id ?? `id-${e.name}`;
      const line = `{"status":"${e.action}","id":"${id}","Type":"container","Action":"${e.action}","Actor":{"ID":"${id}","Attributes":${JSON.stringify(attributes)}},"scope":"local","time":${Math.floor(at / 1000)},"timeNano":${nano}}`;
      log.push({ line, nano });
      if (log.length > LOG_LIMIT) log.shift();
      for (const r of open) r.write(`${line}\n`);
      return Math.floor(Number(nano) / 1000) / 1000;
    },
    endStreams() {
      for (const r of open) r.end();
      open.clear();
    },
    down: close,
    up: listen,
    async stop() {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** "1764417600.123456789" -> nanoseconds */
function nanos(since: string): bigint {
  const [s, frac = ''] = since.split('.');
  return BigInt(s) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}
