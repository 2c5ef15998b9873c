import type { Command } from 'commander';
import { runRdnbrd } from '../rdnbrd/main.js';

/** `cldemo rdnbrd`: the redistribute-neighbor agent, also runnable alone as dist/rdnbrd/main.js. */
export function registerRdnbrd(program: Command): void {
  program
    .command('rdnbrd')
    .description('run the redistribute-neighbor agent (on an FRR switch): ARP entries -> /32 routes in table 10')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', '--config FILE --foreground --pidfile FILE --logfile FILE')
    .action(async (args: string[]) => {
      const code = await runRdnbrd(args);
      if (code !== 0) process.exitCode = code;
    });
}
