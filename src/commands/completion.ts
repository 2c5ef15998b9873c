/** `cldemo completion bash|zsh|fish`: prints the script; see the README for where it goes. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { bashCompletion, fishCompletion, zshCompletion } from '../completion.js';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: eval "$(cldemo completion bash)"')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => {
      const make = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion }[shell];
      if (!make) throw new UsageError(`completion ${shell}: expected bash, zsh or fish`);
      process.stdout.write(make(program));
    });
}
