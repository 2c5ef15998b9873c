import { readFileSync } from 'node:fs';
import { topologyJsonSchema } from '../../src/topology/schema.js';

describe('JSON Schema', () => {
  it('schema/topology.schema.json is the one the zod schema makes (npm run schema)', () => {
    expect(JSON.parse(readFileSync('schema/topology.schema.json', 'utf8'))).toEqual(topologyJsonSchema());
  });
  it('describes every top-level key of the default topology', () => {
    const schema = topologyJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['switches', 'servers', 'links', 'subnet', 'gateway', 'redistribute_neighbor', 'provider']));
    expect(schema.required).toEqual(expect.arrayContaining(['subnet', 'gateway', 'switches']));
  });
});
