/**
 * IPv6 addresses are read and written in one place (src/topology/ip.ts). Oracles from outside
 * it: Node's own reading (net.isIPv6, and the WHATWG URL parser's serializer, which writes RFC
 * 5952's form but for IPv4-mapped addresses), RFC 5952's own examples, and the derivation
 * rule's examples as the README states them.
 */
import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { canonicalIpv6, deriveIpv6, formatIpv6, ipv6Problem, parseCidr, parseCidr6, parseIpv4, parseIpv6, specialRange6 } from '../../src/topology/ip.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const viaUrl = (a: string) => new URL(`http://[${a}]/`).hostname.slice(1, -1);

/** An address as people write it: any case, leading zeros, with or without `::`, a trailing dotted quad. */
const spelling: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.boolean(), fc.boolean(), fc.nat(8), fc.nat(8), fc.boolean())
  .map(([groups, upper, zeros, from, len, dotted]) => {
    const text = groups.map((g) => (zeros ? g.toString(16).padStart(4, '0') : g.toString(16)));
    if (dotted) text.splice(6, 2, `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`);
    const parts = dotted ? 7 : 8;
    const start = Math.min(from, parts);
    const run = Math.min(len, parts - start);
    // '::' may stand only for zero groups
    const cut = run >= 1 && groups.slice(start, start + run).every((g) => g === 0) && !(dotted && start + run > 6);
    const joined = cut ? `${text.slice(0, start).join(':')}::${text.slice(start + run).join(':')}` : text.join(':');
    return upper ? joined.toUpperCase() : joined;
  });

describe('IPv6 addresses', () => {
  it('RFC 5952 examples: one spelling for each address', () => {
    expect(canonicalIpv6('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canonicalIpv6('2001:DB8::0001')).toBe('2001:db8::1');
    expect(canonicalIpv6('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1'); // the first of two equal runs
    expect(canonicalIpv6('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // one zero group stays
    expect(canonicalIpv6('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1'); // the longest run
    expect(canonicalIpv6('::')).toBe('::');
    expect(canonicalIpv6('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIpv6('2001:db8:1::172.16.1.11')).toBe('2001:db8:1::ac10:10b');
    expect(canonicalIpv6('::FFFF:C000:0201')).toBe('::ffff:192.0.2.1'); // IPv4-mapped: its dotted quad (section 5)
  });

  it('reads what Node reads, and writes what the URL parser writes (random spellings)', () => {
    fc.assert(
      fc.property(spelling, (s) => {
        expect({ s, ours: parseIpv6(s) !== null }).toEqual({ s, ours: isIPv6(s) });
        const n = parseIpv6(s)!;
        if (n >> 32n !== 0xffffn) expect(formatIpv6(n)).toBe(viaUrl(s));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('refuses what Node refuses, naming why', () => {
    const cases: Array<[string, RegExp]> = [
      ['fe80::1%swp1', /zone id \('%swp1'\)/],
      ['2001:db8::1%eth0', /zone id/],
      ['[2001:db8::1]', /brackets/],
      ['2001:db8::/64', /prefix length/],
      ['2001:db8::00011', /group 00011 has more than 4 hex digits/],
      ['2001:db8::1::2', /'::' more than once/],
      ['2001:db8:1:::11', /eight groups/],
      ['1:2:3:4:5:6:7:8:9', /eight groups/],
      ['1:2:3:4:5:6:7', /eight groups/],
      ['2001:db8::172.016.1.11', /IPv4 part 172\.016\.1\.11/],
      ['2001:db8::1.2.3.4:5', /dotted IPv4 part may only end/],
      ['2001:db8::g', /'g' at character 11 is not a hex digit/],
      ['2001:db8::\u0661', /U\+0661 .* at character 11/],
      ['172.16.1.11', /no colon/],
      ['', /no colon/],
    ];
    for (const [text, why] of cases) {
      // Node takes a zone id (%swp1); a fabric address has none, so that one refusal is ours alone
      expect({ text, node: isIPv6(text) }).toEqual({ text, node: text.includes('%') });
      expect({ text, ours: parseIpv6(text) }).toEqual({ text, ours: null });
      expect(ipv6Problem(text)).toMatch(why);
    }
  });

  it('prefixes: host bits zero unless told otherwise; lengths 0-128 without leading zeros', () => {
    expect(parseCidr6('2001:db8:1::/64')).toMatchObject({ prefix: 64 });
    expect(parseCidr6('2001:db8:1::1/64')).toBeNull();
    expect(parseCidr6('2001:db8:1::1/64', false)).toMatchObject({ network: parseIpv6('2001:db8:1::') });
    expect(parseCidr6('2001:db8::/129')).toBeNull();
    expect(parseCidr6('2001:db8::/064')).toBeNull();
    expect(parseCidr6('2001:db8::')).toBeNull();
  });

  it('special ranges: refused with their name; documentation and unique-local prefixes are ordinary', () => {
    const special = (a: string) => specialRange6(parseIpv6(a)!);
    expect(special('::')).toMatch(/unspecified/);
    expect(special('::1')).toMatch(/loopback/);
    expect(special('::ffff:10.0.0.1')).toMatch(/IPv4-mapped/);
    expect(special('::10.0.0.1')).toMatch(/IPv4-compatible/);
    expect(special('fe80::1')).toMatch(/link-local/);
    expect(special('ff02::1')).toMatch(/multicast/);
    expect(special('2001::1')).toMatch(/Teredo/);
    expect(special('2002:a00:1::1')).toMatch(/6to4/);
    expect(special('64:ff9b::a00:1')).toMatch(/NAT64/);
    expect(special('4000::1')).toMatch(/IETF reserves/);
    for (const ok of ['2001:db8:1::11', '3fff::1', 'fd00:1::11', '2a01:4f8::1']) expect({ ok, why: special(ok) }).toEqual({ ok, why: null });
  });

  it("derives a host's address as the README says: the octets the subnet leaves free, one group each, same digits", () => {
    const derive = (prefix: string, v4: string, subnet: string) => formatIpv6(deriveIpv6(parseCidr6(prefix)!, parseIpv4(v4)!, parseCidr(subnet)!.prefix)!);
    expect(derive('2001:db8:1::/64', '172.16.1.11', '172.16.1.0/24')).toBe('2001:db8:1::11');
    expect(derive('2001:db8:1::/64', '172.16.1.251', '172.16.1.0/24')).toBe('2001:db8:1::251');
    expect(derive('2001:db8:1::/64', '10.61.9.7', '10.61.8.0/22')).toBe('2001:db8:1::9:7');
    expect(derive('2001:db8:1::/112', '172.16.1.11', '172.16.1.0/24')).toBe('2001:db8:1::11');
    expect(deriveIpv6(parseCidr6('2001:db8:1::/120')!, parseIpv4('172.16.1.11')!, 24)).toBeNull(); // 8 bits: no room for a group
    expect(formatIpv6(deriveIpv6(parseCidr6('2001:db8:ffff::/64')!, parseIpv4('10.0.0.21')!, 0)!)).toBe('2001:db8:ffff:0:10::21');
  });
});
