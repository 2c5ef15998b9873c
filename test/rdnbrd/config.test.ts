/** rdnbrd.conf parsing: the Cumulus file loads unchanged, mistakes are named by file:line. */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, parseConfig } from '../../src/rdnbrd/config.js';

const FIXTURES = 'test/rdnbrd/fixtures';

describe('rdnbrd config', () => {
  it('loads the file Cumulus Linux ships, unchanged', () => {
    const cfg = loadConfig(`${FIXTURES}/cumulus.conf`);
    expect(cfg).toMatchObject({ loglevel: 'INFO', keepalive: 1, holdtime: 3, route_table: 10, unicast_arp_requests: true, debug_arp: [] });
    expect(cfg.exclude_interfaces).toEqual(['eth0']);
    expect(cfg.holdtimeRaisedFrom).toBeUndefined();
  });

  it('reports every problem with file:line at once', () => {
    let error: unknown;
    try {
      loadConfig(`${FIXTURES}/bad.conf`);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const expected = readFileSync(`${FIXTURES}/bad.expected`, 'utf8').replace(/^rdnbrd: /, '').replaceAll('BAD', `${FIXTURES}/bad.conf`);
    expect((error as ConfigError).message + '\n').toBe(expected);
    expect((error as ConfigError).exitCode).toBe(2);
  });

  it('raises holdtime to 3 x keepalive', () => {
    const cfg = parseConfig('keepalive = 2\nholdtime = 3\n', 'x.conf');
    expect(cfg.holdtime).toBe(6);
    expect(cfg.holdtimeRaisedFrom).toBe(3);
  });

  it('reads interface lists, Python booleans and any loglevel case', () => {
    const cfg = parseConfig('debug_arp = swp1 swp2,swp3\nexclude_interfaces = eth0 mgmt\nunicast_arp_requests = False\nloglevel = debug\n', 'x');
    expect(cfg.debug_arp).toEqual(['swp1', 'swp2', 'swp3']);
    expect(cfg.exclude_interfaces).toEqual(['eth0', 'mgmt']);
    expect(cfg.unicast_arp_requests).toBe(false);
    expect(cfg.loglevel).toBe('DEBUG');
  });

  it('rejects a line without "=" and a table outside 2-252', () => {
    expect(() => parseConfig('keepalive 1\n', 'a.conf')).toThrow('a.conf:1: expected "key = value", got "keepalive 1"');
    expect(() => parseConfig('route_table = 1\n', 'a.conf')).toThrow('a.conf:1: route_table must be an integer from 2 to 252, got "1"');
    expect(() => parseConfig('keepalive = -1\n', 'a.conf')).toThrow('a.conf:1: keepalive must be a positive number of seconds');
  });

  it('names a missing file', () => {
    expect(() => loadConfig('/nonexistent/rdnbrd.conf')).toThrow('/nonexistent/rdnbrd.conf: cannot read config file: ENOENT');
  });
});
