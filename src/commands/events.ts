/** `cldemo events`: thin adapter over src/fabric/events. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { eventLine, watchFabric } from '../fabric/observe/events.js';
import type { FabricEvent } from '../fabric/observe/formats.js';
import { wholeNumber } from './common.js';
import { fabricOptions, withFabric, type FabricOpts } from './fabric-common.js';

interface EventsOpts extends FabricOpts {
  count?: string;
  duration?: string;
  watch: boolean;
}

export function registerEvents(program: Command): void {
  fabricOptions(program.command('events').description('stream what happens in the fabric: containers, ARP entries, /32s, links, BGP and BFD sessions (until Ctrl-C)'))
    .option('--count <n>', 'stop after this many events (watch events not counted)')
    .option('--duration <seconds>', 'stop after this long')
    .option('--no-watch', 'leave out the watch started/lost events')
    .action(async (opts: EventsOpts) => {
      const count = opts.count === undefined ? undefined : wholeNumber('count', opts.count, 1);
      const duration = opts.duration === undefined ? undefined : Number(opts.duration);
      if (duration !== undefined && !(duration > 0)) throw new UsageError(`--duration ${opts.duration}: give a number of seconds`);
      await withFabric(opts, async (ctx) => {
        let seen = 0;
        let finish!: () => void;
        const finished = new Promise<void>((r) => (finish = r));
        const print = (e: FabricEvent) => {
          if (e.type === 'watch' && !opts.watch) return;
          process.stdout.write(opts.json ? `${JSON.stringify(e)}\n` : `${eventLine(e)}\n`);
          if (e.type !== 'watch' && count !== undefined && ++seen >= count) finish();
        };
        const watch = watchFabric(ctx, print);
        const onSignal = () => finish();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const timer = duration === undefined ? undefined : setTimeout(finish, duration * 1000);
        try {
          await finished;
        } finally {
          clearTimeout(timer);
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await watch.stop();
        }
      });
    });
}
