import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { renderAll, writeRendered } from '../render/index.js';
import { dim } from '../output.js';
import { loadPlanFrom, topologyOption } from './common.js';

export function registerRender(program: Command): void {
  topologyOption(program.command('render').description("render every node's config from templates/ (touches nothing)"))
    .option('--out <dir>', 'write DIR/<node>/etc/... instead of printing')
    .option('--node <name>', 'only this node')
    .action(async (opts: { topology: string; out?: string; node?: string }) => {
      const plan = await loadPlanFrom(opts);
      let rendered = renderAll(plan);
      if (opts.node) {
        const one = rendered.get(opts.node);
        if (!one) throw new UsageError(`--node ${opts.node}: no such node in ${opts.topology} (nodes: ${[...rendered.keys()].join(', ')})`);
        rendered = new Map([[opts.node, one]]);
      }
      if (opts.out) {
        const files = writeRendered(opts.out, rendered);
        console.log(`wrote ${files.length} files under ${opts.out}`);
        return;
      }
      for (const [node, files] of rendered) {
        for (const { path, text } of files.values()) {
          console.log(dim(`### ${node}:${path}`));
          process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
        }
      }
    });
}
