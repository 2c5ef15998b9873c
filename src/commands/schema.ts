import type { Command } from 'commander';
import { printJson } from '../output.js';
import { topologyJsonSchema } from '../topology/schema.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of topology.yaml (for editor completion)')
    .action(() => printJson(topologyJsonSchema()));
}
