import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { eventJsonSchema, statusJsonSchema, whyJsonSchema } from '../fabric/observe/formats.js';
import { printJson } from '../output.js';
import { topologyJsonSchema } from '../topology/schema.js';
import { drillJsonSchema } from '../drill/schema.js';

const SCHEMAS: Record<string, () => unknown> = { topology: topologyJsonSchema, status: statusJsonSchema, event: eventJsonSchema, drill: drillJsonSchema, why: whyJsonSchema };

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print a JSON Schema: topology.yaml (default, for editor completion), status --json, one events --json line, a drill file, or why --json')
    .argument('[format]', 'topology, status, event, drill or why', 'topology')
    .action((format: string) => {
      const make = SCHEMAS[format];
      if (!make) throw new UsageError(`schema ${format}: expected one of ${Object.keys(SCHEMAS).join(', ')}`);
      printJson(make());
    });
}
