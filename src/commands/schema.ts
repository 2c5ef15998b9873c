import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { eventJsonSchema, statusJsonSchema } from '../fabric/observe/formats.js';
import { printJson } from '../output.js';
import { topologyJsonSchema } from '../topology/schema.js';

const SCHEMAS: Record<string, () => unknown> = { topology: topologyJsonSchema, status: statusJsonSchema, event: eventJsonSchema };

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print a JSON Schema: topology.yaml (default, for editor completion), status --json, or one events --json line')
    .argument('[format]', 'topology, status or event', 'topology')
    .action((format: string) => {
      const make = SCHEMAS[format];
      if (!make) throw new UsageError(`schema ${format}: expected one of ${Object.keys(SCHEMAS).join(', ')}`);
      printJson(make());
    });
}
