/**
 * Timers the topology accepts are rendered into /etc/rdnbrd.conf as numbers the agent reads
 * back unchanged (issue 10: keepalive 0.0000001 rendered as 1e-7, which the agent refused).
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/rdnbrd/config.js';
import { renderNode } from '../../src/render/index.js';
import { loadPlanSync } from '../../src/providers.js';

const base = readFileSync('topology.yaml', 'utf8');

describe('redistribute_neighbor timers, topology -> rdnbrd.conf -> agent', () => {
  it.each([
    [0.1, 0.3],
    [0.25, 1],
    [1, 3],
    [1.5, 4.5],
    [0.7, 2.1],
    [3600, 10800],
    [3600, 86400],
  ])('keepalive %p, holdtime %p', (keepalive, holdtime) => {
    const text = base.replace(/^ {2}keepalive: 1$/m, `  keepalive: ${keepalive}`).replace(/^ {2}holdtime: 3$/m, `  holdtime: ${holdtime}`);
    const plan = loadPlanSync('t.yaml', text);
    const conf = renderNode(plan, 'leaf01').get('rdnbrd')?.text;
    expect(conf).toBeDefined();
    expect(conf).not.toMatch(/e[-+]\d/);
    const cfg = parseConfig(conf!, 'rdnbrd.conf');
    expect({ keepalive: cfg.keepalive, holdtime: cfg.holdtime, raised: cfg.holdtimeRaisedFrom }).toEqual({ keepalive, holdtime, raised: undefined });
  });
});
