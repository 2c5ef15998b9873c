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

  it('reads expected_neighbors per port and rejects anything that is not a port name and IPv4 addresses', () => {
    const cfg = parseConfig('expected_neighbors = swp1:172.16.1.11,172.16.1.12  swp2:172.16.1.21\n', 'x');
    expect(cfg.expected_neighbors).toEqual([
      { ip: '172.16.1.11', dev: 'swp1' }, { ip: '172.16.1.12', dev: 'swp1' }, { ip: '172.16.1.21', dev: 'swp2' },
    ]);
    expect(parseConfig('', 'x').expected_neighbors).toEqual([]);
    const bad: Array<[string, string]> = [
      ['swp1 172.16.1.11', 'expected_neighbors wants "PORT:IP,IP ...", got "swp1"'],
      ['swp1;reboot:172.16.1.11', 'expected_neighbors wants "PORT:IP,IP ...", got "swp1;reboot:172.16.1.11"'],
      ['averyveryverylongname:1.2.3.4', 'expected_neighbors wants "PORT:IP,IP ...", got "averyveryverylongname:1.2.3.4"'],
      ['swp1:172.16.1.256', 'expected_neighbors: "172.16.1.256" on swp1 is not an IPv4 or IPv6 address'],
      ['swp1:172.16.1.11,', 'expected_neighbors: "" on swp1 is not an IPv4 or IPv6 address'],
      ['swp1:172.16.1.11 swp2:172.16.1.11', 'expected_neighbors: 172.16.1.11 is listed on swp1 and on swp2'],
      ['swp1:1.2.3.4,1.2.3.4', 'expected_neighbors: 1.2.3.4 is listed on swp1 twice'],
    ];
    for (const [value, message] of bad) expect(() => parseConfig(`expected_neighbors = ${value}\n`, 'c.conf')).toThrow(`c.conf:1: ${message}`);
  });
});

describe('rdnbrd config, IPv6', () => {
  it('reads IPv6 expected neighbors beside IPv4 ones, in the canonical form the kernel prints', () => {
    const cfg = parseConfig('expected_neighbors = swp1:172.16.1.11,2001:DB8:1::0011,2001:db8:1:0:0:0:0:12 swp2:2001:db8:1::21\n', 'x');
    expect(cfg.expected_neighbors).toEqual([
      { ip: '172.16.1.11', dev: 'swp1' }, { ip: '2001:db8:1::11', dev: 'swp1' }, { ip: '2001:db8:1::12', dev: 'swp1' },
      { ip: '2001:db8:1::21', dev: 'swp2' },
    ]);
  });

  it('rejects IPv6 spellings that are not one routable address, and a duplicate however it is spelled', () => {
    const bad: Array<[string, string]> = [
      ['swp1:2001:db8::1%swp1', '"2001:db8::1%swp1" on swp1 is not an IPv4 or IPv6 address'],
      ['swp1:2001:db8::1/64', '"2001:db8::1/64" on swp1 is not an IPv4 or IPv6 address'],
      ['swp1:2001:db8::1::2', '"2001:db8::1::2" on swp1 is not an IPv4 or IPv6 address'],
      ['swp1:2001:db8:0:0:0:0:0:0:1', '"2001:db8:0:0:0:0:0:0:1" on swp1 is not an IPv4 or IPv6 address'],
      ['swp1:fe80::11', 'fe80::11 on swp1 is link-local, never routed'],
      ['swp1:FEBF::1', 'febf::1 on swp1 is link-local, never routed'],
      ['swp1:ff02::1', 'ff02::1 on swp1 is multicast, never routed'],
      ['swp1:::ffff:172.16.1.11', '::ffff:ac10:10b on swp1 is IPv4-mapped, never routed'],
      ['swp1:::', ':: on swp1 is unspecified or loopback, never routed'],
      ['swp1:169.254.1.1', '169.254.1.1 on swp1 is link-local, never routed'],
      ['swp1:2001:db8:1::11 swp2:2001:0DB8:1:0::11', '2001:db8:1::11 is listed on swp1 and on swp2'],
    ];
    for (const [value, message] of bad) expect(() => parseConfig(`expected_neighbors = ${value}\n`, 'c.conf')).toThrow(`c.conf:1: expected_neighbors: ${message}`);
  });

  it('puts /128s in the main table unless ipv6_route_table names another', () => {
    expect(parseConfig('', 'x').ipv6_route_table).toBe(254);
    expect(loadConfig(`${FIXTURES}/cumulus.conf`).ipv6_route_table).toBe(254);
    expect(parseConfig('ipv6_route_table = 10\n', 'x').ipv6_route_table).toBe(10);
    expect(parseConfig('ipv6_route_table = main\n', 'x').ipv6_route_table).toBe(254);
    expect(() => parseConfig('ipv6_route_table = 255\n', 'a.conf')).toThrow('a.conf:1: ipv6_route_table must be an integer from 2 to 252 or main, got "255"');
    expect(() => parseConfig('route_table = main\n', 'a.conf')).toThrow('a.conf:1: route_table must be an integer from 2 to 252, got "main"');
  });
});

describe('config keys that are JavaScript object keys', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('%s is an unknown key, not a crash', (key) => {
    expect(() => parseConfig(`${key} = 1\n`, 'a.conf')).toThrow(`a.conf:1: unknown key "${key}"`);
  });

  it('echoes at most 80 characters of a value', () => {
    const long = '9'.repeat(5000);
    let message = '';
    try {
      parseConfig(`route_table = ${long}\n`, 'a.conf');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/got "9{80}"\.\.\. \(5000 characters\)$/);
  });
});
