/** Addresses as rdnbrd.conf may spell them and as iproute2 prints them. */
import { canonicalIp, ipv6InPrefix, isIgnoredAddress, parseIpv6 } from '../../src/rdnbrd/address.js';

describe('rdnbrd addresses', () => {
  it.each([
    // RFC 5952's own examples and the spellings a hand-written config may use
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:DB8::AAAA', '2001:db8::aaaa'],
    ['2001:db8:1::0011', '2001:db8:1::11'],
    ['2001:db8::', '2001:db8::'],
    ['::1', '::1'],
    ['::', '::'],
    ['0:0:0:0:0:ffff:172.16.1.11', '::ffff:ac10:10b'],
    ['172.16.1.11', '172.16.1.11'],
  ])('%s is written %s', (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
  });

  it.each(['2001:db8::1%eth0', '2001:db8::1/128', '1::2::3', ':::', '2001:db8:0:0:0:0:0:0:1', '2001:db8:0:0:0:0:1', '12345::', 'g::1',
    '2001:db8::1.2.3', '1.2.3.4::', '::1.2.3.4.5', '', ':1::', '1::1:', '172.16.1.256', '01.2.3.4'])('%s is not an address', (text) => {
    expect(canonicalIp(text)).toBeUndefined();
  });

  it('never routes the unspecified, loopback, link-local, multicast or IPv4-mapped ranges', () => {
    for (const ip of ['::', '::1', 'fe80::1', 'febf:ffff::1', 'ff02::1', '::ffff:ac10:10b', '0.0.0.0', '169.254.0.1']) expect(isIgnoredAddress(ip)).toBe(true);
    for (const ip of ['2001:db8:1::11', 'fec0::1', 'fd00::1', '::2', '172.16.1.11']) expect(isIgnoredAddress(ip)).toBe(false);
  });

  it('tells whether an address is inside a prefix, at any length', () => {
    expect(ipv6InPrefix('2001:db8:1::11', '2001:db8:1::', 64)).toBe(true);
    expect(ipv6InPrefix('2001:db8:2::11', '2001:db8:1::', 64)).toBe(false);
    expect(ipv6InPrefix('2001:db8:1:0:8000::1', '2001:db8:1::', 65)).toBe(false);
    expect(ipv6InPrefix('2001:db8:1:0:7fff::1', '2001:db8:1::', 65)).toBe(true);
    expect(ipv6InPrefix('2001:db8:1::11', '2001:db8:1::11', 128)).toBe(true);
    expect(ipv6InPrefix('2001:db8:1::12', '2001:db8:1::11', 128)).toBe(false);
    expect(ipv6InPrefix('1::', '::', 0)).toBe(true);
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
