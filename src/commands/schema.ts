import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { eventJsonSchema, statusJsonSchema } from '../fabric/observe/formats.js';
import { printJson } from '../output.js';
import { topologyJsonSchema } from '../topology/schema.js';
import { drillJsonSchema } from '../drill/schema.js';

const SCHEMAS: Record<string, () => unknown> = { topology: topologyJsonSchema, status: statusJsonSchema, event: eventJsonSchema, drill: drillJsonSchema };

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print a JSON Schema: topology.yaml (default, for editor completion), status --json, one events --json line, or a drill file')
    .argument('[format]', 'topology, status, event or drill', 'topology')
    .action((format: string) => {
      const make = SCHEMAS[format];
      if (!make) throw new UsageError(`schema ${format}: expected one of ${Object.keys(SCHEMAS).join(', ')}`);
      printJson(make());
    });
}
