/** `cldemo graph`: thin adapter over src/graph. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { fabricGraph } from '../graph/model.js';
import { toDot, toMermaid } from '../graph/text.js';
import { toHtml } from '../graph/html.js';
import { serveGraph } from '../graph/serve.js';
import { dim } from '../output.js';
import { loadPlanFrom, topologyOption, wholeNumber } from './common.js';
import { withFabric } from './fabric-common.js';
import { DEFAULT_PARALLEL } from '../fabric/context.js';

const FORMATS = ['mermaid', 'dot', 'html'] as const;
const DEFAULT_GRAPH_PORT = 8470;

interface GraphOpts {
  topology: string;
  format: string;
  serve?: boolean;
  port: string;
  host: string;
}

export function registerGraph(program: Command): void {
  topologyOption(program.command('graph').description('draw the topology: Mermaid, Graphviz dot, a self-contained HTML page, or the live page (--serve)'))
    .option('-f, --format <format>', `${FORMATS.join(', ')}`, 'mermaid')
    .option('--serve', 'serve the live page: coloured from status, following events (until Ctrl-C)')
    .option('--port <n>', 'with --serve: the port', String(DEFAULT_GRAPH_PORT))
    .option('--host <address>', 'with --serve: the address to listen on', '127.0.0.1')
    .action(async (opts: GraphOpts) => {
      if (opts.serve) return serve(opts);
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`--format ${opts.format}: expected one of ${FORMATS.join(', ')}`);
      const graph = fabricGraph(await loadPlanFrom(opts));
      const text = opts.format === 'dot' ? toDot(graph) : opts.format === 'html' ? toHtml(graph, { live: false }) : toMermaid(graph);
      process.stdout.write(text);
    });
}

async function serve(opts: GraphOpts): Promise<void> {
  const port = wholeNumber('port', opts.port, 0, 65535);
  // caught from the start: a Ctrl-C while the nodes are still being reached stops as cleanly as a later one
  const stop = stopSignal();
  let watching = false;
  try {
    await withFabric({ topology: opts.topology, parallel: String(DEFAULT_PARALLEL), json: true }, async (ctx) => {
      if (stop.signal) return;
      // listens before it watches anything: a taken port ends the command here, exit 1
      const live = await serveGraph(ctx, { host: opts.host, port });
      try {
        process.stderr.write(`serving the live page of ${ctx.plan.name} on ${live.url} (Ctrl-C stops)\n`);
        const nodes = ctx.plan.switches.length + ctx.plan.servers.length;
        await Promise.race([live.ready.then(() => stop.signal || ((watching = true), process.stderr.write(dim(`watching ${nodes} nodes\n`)))), stop.stopped]);
        await stop.stopped;
      } finally {
        await live.close();
      }
    });
  } finally {
    stop.dispose();
  }
  // Ctrl-C is how a running server is stopped (exit 0, as events); one that came before it was
  // watching interrupted its start, and exits as every interrupted command does: 130, 143
  if (stop.signal && !watching) {
    process.stderr.write(`interrupted by ${stop.signal} before it was watching the fabric; stopped cleanly\n`);
    process.exitCode = stop.signal === 'SIGINT' ? 130 : 143;
  }
}

/** SIGINT and SIGTERM, caught until dispose(): which came first, and a promise that resolves when one does. */
function stopSignal(): { readonly signal: 'SIGINT' | 'SIGTERM' | undefined; stopped: Promise<void>; dispose(): void } {
  let signal: 'SIGINT' | 'SIGTERM' | undefined;
  let resolve!: () => void;
  const stopped = new Promise<void>((r) => (resolve = r));
  const on = (sig: 'SIGINT' | 'SIGTERM') => () => {
    signal ??= sig;
    resolve();
  };
  const handlers = { SIGINT: on('SIGINT'), SIGTERM: on('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);
  return {
    get signal() {
      return signal;
    },
    stopped,
    dispose() {
      process.off('SIGINT', handlers.SIGINT);
      process.off('SIGTERM', handlers.SIGTERM);
    },
  };
}
