/**
 * Docker's event stream, line by line: a container event becomes cldemo's, anything else is
 * skipped (a torn line or an event without a container name must not crash `cldemo events`).
 */
import { parseContainerEvent } from '../../src/transport/docker.js';

const line = (o: unknown) => JSON.stringify(o);

describe('parseContainerEvent', () => {
  test('a die event: action, container, time in ms, exit code', () => {
    const e = parseContainerEvent(line({ Action: 'die', timeNano: 1764417600123456000, Actor: { Attributes: { name: 'server01-172.16.1.11', exitCode: '137' } } }));
    expect(e).toEqual({ action: 'die', container: 'server01-172.16.1.11', at: 1764417600123.456, exitCode: 137 });
  });

  test('a start event has no exit code', () => {
    expect(parseContainerEvent(line({ Action: 'start', timeNano: 2_000_000, Actor: { Attributes: { name: 'c1' } } }))).toEqual({ action: 'start', container: 'c1', at: 2 });
  });

  test.each([
    ['a torn line', '{"Action":"die","timeNa'],
    ['not JSON at all', 'Error response from daemon'],
    ['JSON null', 'null'],
    ['no container name', line({ Action: 'die', timeNano: 1, Actor: { Attributes: {} } })],
    ['no time', line({ Action: 'die', Actor: { Attributes: { name: 'c1' } } })],
    ['a time that is not a number', line({ Action: 'die', timeNano: 'soon', Actor: { Attributes: { name: 'c1' } } })],
  ])('%s is skipped', (_why, text) => {
    expect(parseContainerEvent(text)).toBeUndefined();
  });
});
