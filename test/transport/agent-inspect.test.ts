/**
 * docker-modem inspects every request's options (agent included) at full depth; the agent
 * must print as one short line however much it holds, or `up` turns quadratic in CPU.
 */
import { inspect } from 'node:util';
import type { Client } from 'ssh2';
import { StreamLocalAgent } from '../../src/transport/docker.js';

it('a StreamLocalAgent inspects as one short line, whatever its client holds', () => {
  const heavy = { queue: Array.from({ length: 5000 }, (_, i) => ({ id: i, payload: 'x'.repeat(100) })) };
  const agent = new StreamLocalAgent('server01', heavy as unknown as Client, '/var/run/docker.sock');
  const text = inspect({ agent, method: 'GET' }, { showHidden: true, depth: null });
  expect(text).toContain('StreamLocalAgent(server01:/var/run/docker.sock)');
  expect(text.length).toBeLessThan(200);
  agent.destroy();
});
