/** One or more cases per rule, on a small in-memory topology. */
import { loadTopology } from '../../src/topology/index.js';
import { TopologyError } from '../../src/errors.js';
import { checkInterfaceName } from '../../src/topology/rules.js';
import { plan, type ConnectionFacts } from '../../src/topology/plan.js';

const FACTS: ConnectionFacts = { file: '/t.yaml', home: '/root', labNode: (_n, i) => ({ host: `192.0.2.${i + 10}`, port: 22, user: 'root' }) };

const BASE = `name: t1
subnet: 10.9.0.0/24
gateway: 10.9.0.1
switches:
  s1: { role: spine, asn: 65100, loopback: 10.255.0.1 }
  s2: { role: spine, asn: 65100, loopback: 10.255.0.2 }
  l1: { role: leaf, asn: 65101, loopback: 10.255.0.11 }
  l2: { role: leaf, asn: 65102, loopback: 10.255.0.12 }
servers:
  h1:
    uplink: { interface: eth1, address: 10.9.0.201, leaf: l1, port: swp1 }
    containers: [10.9.0.11, 10.9.0.12]
  h2:
    uplink: { interface: eth1, address: 10.9.0.202, leaf: l2, port: swp1 }
    containers: [10.9.0.21, { ip: 10.9.0.22, image: "web/other:1.0" }]
links:
  - [s1:swp1, l1:swp51]
  - [s1:swp2, l2:swp51]
  - [s2:swp1, l1:swp52]
  - [s2:swp2, l2:swp52]
`;

function problems(text: string): string[] {
  try {
    loadTopology('t.yaml', text);
    return [];
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    return e.problems.map((p) => `${p.line}: ${p.message}`);
  }
}
const edit = (from: string, to: string) => {
  if (!BASE.includes(from)) throw new Error(`fixture has no ${from}`);
  return BASE.replace(from, to);
};

describe('topology rules', () => {
  it('accepts the base topology and the default one', () => {
    expect(problems(BASE)).toEqual([]);
    expect(() => loadTopology('topology.yaml')).not.toThrow();
  });

  it('names: node names must be unique across switches and servers, and well-formed', () => {
    expect(problems(edit('  h2:\n', '  l2:\n'))).toContainEqual(expect.stringMatching(/^13: node name 'l2' is used by a switch and a server/));
    expect(problems(edit('  h1:\n', '  H_1:\n'))).toContainEqual(expect.stringMatching(/node name 'H_1' is not valid/));
    expect(problems(edit('name: t1', 'name: "Bad Name"'))).toEqual(["1: topology name 'Bad Name' is not valid: 'B' at character 1 is uppercase"]);
    // look-alikes and invisible characters are escaped and named, not echoed raw
    expect(problems(edit('name: t1', 'name: t\u0661'))).toEqual(["1: topology name 't\\u0661' is not valid: U+0661 ARABIC-INDIC DIGIT ONE at character 2 is not a lowercase letter, digit or '-'"]);
    expect(problems(edit('  h1:\n', '  "h\u200d1":\n'))).toContainEqual("10: node name 'h\\u200d1' is not valid: U+200D ZERO WIDTH JOINER at character 2 is not a lowercase letter, digit or '-'");
    expect(problems(edit('  h1:\n', '  h\u{1d7cf}:\n'))).toContainEqual("10: node name 'h\\u{1d7cf}' is not valid: U+1D7CF (a digit, not an ASCII one) at character 2 is not a lowercase letter, digit or '-'");
    expect(problems(edit('name: t1', 'name: 1t'))).toEqual(["1: topology name '1t' is not valid: it starts with '1', not a letter"]);
    expect(problems(edit('name: t1', 'name: abcdefghijklm'))).toEqual(["1: topology name 'abcdefghijklm' is not valid: it is 13 characters long, more than 12"]);
  });

  it('subnet and gateway', () => {
    expect(problems(edit('subnet: 10.9.0.0/24', 'subnet: 10.9.0.0/33'))).toEqual(["2: subnet '10.9.0.0/33' is not an IPv4 network in CIDR form"]);
    expect(problems(edit('gateway: 10.9.0.1', 'gateway: 10.9.1.1'))).toEqual(['3: gateway 10.9.1.1 is not a host address in subnet 10.9.0.0/24']);
    expect(problems(edit('gateway: 10.9.0.1', 'gateway: 10.9.0.0'))).toEqual(['3: gateway 10.9.0.0 is not a host address in subnet 10.9.0.0/24']);
  });

  it('ASNs: spines may share, leaves may not, and a leaf may not take a spine ASN', () => {
    expect(problems(BASE)).toEqual([]); // s1 and s2 share 65100
    expect(problems(edit('asn: 65102', 'asn: 65101'))).toEqual(['8: l2: ASN 65101 is already used by leaf l1']);
    expect(problems(edit('asn: 65102', 'asn: 65100'))).toEqual(["8: l2: ASN 65100 is a spine's ASN"]);
    expect(problems(edit('asn: 65101', 'asn: 0'))).toEqual(["7: l1: ASN 0 is reserved (RFC 7607: never a speaker's own AS)"]);
    expect(problems(edit('asn: 65101', 'asn: 4294967295'))).toEqual(['7: l1: ASN 4294967295 is reserved (RFC 7300: the last 4-byte AS number)']);
    expect(problems(edit('asn: 65101', 'asn: 65535'))).toEqual(['7: l1: ASN 65535 is reserved (RFC 7300: the last 2-byte AS number)']);
    expect(problems(edit('asn: 65101', 'asn: 23456'))).toEqual(['7: l1: ASN 23456 is AS_TRANS (RFC 6793: it stands in for 4-byte AS numbers on old sessions)']);
    expect(problems(edit('asn: 65101', 'asn: 4294967296'))).toEqual(['7: l1: ASN 4294967296 is not an AS number (0-4294967295)']);
    for (const ok of [1, 64512, 65534, 65536, 4200000001, 4294967294]) expect(problems(edit('asn: 65101', `asn: ${ok}`))).toEqual([]);
  });

  it('whole-number fields take integers as the file writes them, through aliases and merge keys', () => {
    for (const t of ['65101.0', '6.5101e4', '65101.']) expect(problems(edit('asn: 65101', `asn: ${t}`))).toEqual([`7: switches.l1.asn: expected a whole number, got '${t}'`]);
    for (const t of ['0x10E4D', '0o177115', '+65101', '!!int 65101']) expect(problems(edit('asn: 65101', `asn: ${t}`))).toEqual([]);
    // the value a merge key brings is judged at its anchor's token; reported at the node that takes it
    const merged = `leafbase: &lb { role: leaf, asn: 65101.0 }\n${edit('l1: { role: leaf, asn: 65101,', 'l1: { <<: *lb,')}`;
    expect(problems(merged)).toEqual(["1: top level: unknown key 'leafbase'", "8: switches.l1.asn: expected a whole number, got '65101.0'"]);
    const aliased = edit('s2: { role: spine, asn: 65100,', 's2: { role: spine, asn: *a,').replace('s1: { role: spine, asn: 65100,', 's1: { role: spine, asn: &a 65100.0,');
    expect(problems(aliased)).toEqual(["5: switches.s1.asn: expected a whole number, got '65100.0'", "6: switches.s2.asn: expected a whole number, got '65100.0'"]);
    // numbers that are not whole are refused by type, once
    expect(problems(edit('asn: 65101', 'asn: 65101.5'))).toEqual(['7: switches.l1.asn: expected a whole number, got number 65101.5']);
    // fields that take any number take a decimal point
    expect(problems(`${BASE}redistribute_neighbor: { keepalive: 1.0, holdtime: 3.0e0, route_table: 10 }\n`)).toEqual([]);
    expect(problems(`${BASE}redistribute_neighbor: { route_table: 1.0e1 }\n`)).toEqual(["21: redistribute_neighbor.route_table: expected a whole number, got '1.0e1'"]);
  });

  it('loopbacks: valid, unique, outside the container subnet', () => {
    expect(problems(edit('10.255.0.12', '10.255.0.11'))).toEqual(['8: l2: loopback 10.255.0.11 is already used by l1']);
    expect(problems(edit('10.255.0.12', '10.9.0.99'))).toEqual(['8: l2: loopback 10.9.0.99 is inside the container subnet 10.9.0.0/24']);
    expect(problems(edit('10.255.0.12', '10.255.0.12/32'))).toEqual(["8: l2: loopback '10.255.0.12/32' is not an IPv4 address"]);
  });

  it('links: endpoints exist, are node:port, well-formed names, not to self, ports used once', () => {
    expect(problems(edit('[s1:swp1, l1:swp51]', '[s9:swp1, l1:swp51]'))).toEqual([expect.stringMatching(/^17: link endpoint 's9:swp1' names node 's9', which does not exist/)]);
    expect(problems(edit('[s1:swp1, l1:swp51]', '[s1swp1, l1:swp51]'))).toEqual(["17: link endpoint 's1swp1' is not 'node:port'"]);
    expect(problems(edit('[s1:swp1, l1:swp51]', '[s1:swp1, s1:swp7]'))).toEqual(['17: link s1:swp1 - s1:swp7 connects s1 to itself']);
    expect(problems(edit('[s1:swp2, l2:swp51]', '[s1:swp1, l2:swp51]'))).toEqual([expect.stringMatching(/^18: port s1:swp1 is used twice/)]);
    expect(problems(edit('[s1:swp1, l1:swp51]', '[s1:swp1, h1:eth2]'))).toEqual([expect.stringMatching(/server h1 is cabled through servers.h1.uplink/)]);
    expect(problems(edit('[s1:swp1, l1:swp51]', '[s1:swp1, "l1:sw p"]'))).toEqual(["17: link endpoint 'l1:sw p' is not 'node:port'"]);
  });

  it('interface names: at most 15 characters, safe characters only', () => {
    expect(checkInterfaceName('swp1')).toBeNull();
    expect(checkInterfaceName('bond0')).toBeNull();
    expect(checkInterfaceName('bond0.100')).toMatch(/VLAN sub-interface/);
    for (const name of ['eth0', 'lo', 'all', 'default']) expect(checkInterfaceName(name)).toMatch(/is reserved/);
    expect(checkInterfaceName('a'.repeat(16))).toMatch(/longer than 15/);
    expect(checkInterfaceName('eth1$(reboot)')).toBe("interface name 'eth1$(reboot)': '$' at character 5 is not a letter, digit, '_' or '-'");
    expect(checkInterfaceName('-x')).toBe("interface name '-x' starts with '-', not a letter or digit");
    expect(checkInterfaceName('sw\u0440')).toBe("interface name 'sw\\u0440': U+0440 CYRILLIC SMALL LETTER ER at character 3 is not a letter, digit, '_' or '-'");
    expect(problems(edit('interface: eth1, address: 10.9.0.201', 'interface: "eth 1", address: 10.9.0.201'))).toEqual([expect.stringMatching(/^11: h1: uplink interface name 'eth 1'/)]);
  });

  it('uplinks: end on an existing leaf, and a leaf port is used once', () => {
    expect(problems(edit('leaf: l1, port: swp1', 'leaf: s1, port: swp9'))).toEqual(['11: h1: uplink ends on s1, which is a spine, not a leaf']);
    expect(problems(edit('leaf: l1, port: swp1', 'leaf: l9, port: swp1'))).toEqual([expect.stringMatching(/^11: h1: uplink leaf 'l9' does not exist/)]);
    expect(problems(edit('leaf: l1, port: swp1', 'leaf: h2, port: swp1'))).toEqual(['11: h1: uplink leaf h2 is a server, not a leaf']);
    expect(problems(edit('leaf: l1, port: swp1', 'leaf: l\u0661, port: swp1'))).toEqual(["11: h1: uplink leaf 'l\\u0661' does not exist (its character 2 is U+0661 ARABIC-INDIC DIGIT ONE)"]);
    expect(problems(edit('leaf: l1, port: swp1', 'leaf: l1, port: swp51'))).toEqual([expect.stringMatching(/^11: port l1:swp51 is used twice/)]);
  });

  it('container and server addresses: in subnet, not special, unique fabric-wide', () => {
    expect(problems(edit('[10.9.0.11, 10.9.0.12]', '[10.9.0.11, 10.9.0.11]'))).toEqual(['12: h1: container IP 10.9.0.11 is already used by a container on h1']);
    expect(problems(edit('[10.9.0.21,', '[10.9.0.11,'))).toEqual(['15: h2: container IP 10.9.0.11 is already used by a container on h1']);
    expect(problems(edit('[10.9.0.11,', '[10.9.0.202,'))).toEqual(['12: h1: container IP 10.9.0.202 is already used by server h2']);
    expect(problems(edit('[10.9.0.11,', '[10.9.0.0,'))).toEqual(['12: h1: container IP 10.9.0.0 is the network address of 10.9.0.0/24']);
    expect(problems(edit('[10.9.0.11,', '[10.9.0.255,'))).toEqual(['12: h1: container IP 10.9.0.255 is the broadcast address of 10.9.0.0/24']);
    expect(problems(edit('[10.9.0.11,', '[10.9.0.1,'))).toEqual(['12: h1: container IP 10.9.0.1 is the gateway address']);
    expect(problems(edit('[10.9.0.11,', '[10.9.7.11,'))).toEqual(['12: h1: container IP 10.9.7.11 is outside subnet 10.9.0.0/24']);
    expect(problems(edit('[10.9.0.11,', '[10.9.0.300,'))).toEqual(["12: h1: container IP '10.9.0.300' is not an IPv4 address"]);
    expect(problems(edit('address: 10.9.0.202', 'address: 10.9.0.201'))).toEqual(['14: server h2 address 10.9.0.201 is already used by server h1']);
  });

  it('images: valid references', () => {
    expect(problems(edit('"web/other:1.0"', '"Web Other"'))).toEqual(["15: image 'Web Other' is not a valid image reference"]);
  });

  it('redistribute_neighbor: holdtime >= 3 x keepalive, route_table 2-252', () => {
    const rn = (s: string) => `${BASE}redistribute_neighbor: { ${s} }\n`;
    expect(problems(rn('keepalive: 2, holdtime: 5'))).toEqual(['21: holdtime 5 is less than 3 x keepalive (6)']);
    expect(problems(rn('keepalive: 2, holdtime: 6'))).toEqual([]);
    expect(problems(rn('route_table: 1'))).toEqual(['21: route_table 1 is out of range']);
    expect(problems(rn('route_table: 253'))).toEqual(['21: route_table 253 is out of range']);
    expect(problems(rn('route_table: 252'))).toEqual([]);
  });

  it('mtu: 1280-9216', () => {
    expect(problems(`${BASE}defaults: { mtu: 100000 }\n`)).toEqual(['21: mtu 100000 is out of range']);
  });

  it('provider: the lab runs frr only; external needs mgmt.host everywhere', () => {
    expect(problems(edit('l1: { role: leaf,', 'l1: { platform: cumulus, role: leaf,'))).toEqual(['7: platform cumulus cannot run in the local lab (l1)']);
    const ext = edit('name: t1', 'name: t1\nprovider: external');
    expect(problems(ext)).toHaveLength(6);
    let port = 2200;
    const withMgmt = ext
      .replace(/\n {2}(s1|s2|l1|l2): \{/g, (_m, n: string) => `\n  ${n}: { mgmt: { host: 192.0.2.1, port: ${port++} },`)
      .replace(/(\n {2}h[12]:\n)/g, (m) => `${m}    mgmt: { host: switch-a.example, port: ${port++} }\n`);
    expect(problems(withMgmt)).toEqual([]);
    // two nodes behind one host:port would be one box answering for two
    expect(problems(withMgmt.replace('port: 2201', 'port: 2200'))).toEqual(["7: s2: mgmt 192.0.2.1:2200 is already s1's"]);
  });

  it('lab: mgmt subnet valid, big enough, apart from the container subnet', () => {
    expect(problems(`${BASE}lab: { mgmt_subnet: 10.9.0.0/16 }\n`)).toEqual(['21: mgmt_subnet 10.9.0.0/16 overlaps the container subnet 10.9.0.0/24']);
    expect(problems(`${BASE}lab: { mgmt_subnet: 192.168.5.0/29 }\n`)).toEqual(['21: mgmt_subnet 192.168.5.0/29 is too small for 6 nodes']);
  });

  it('schema: wrong types, unknown keys and missing keys are reported with positions', () => {
    expect(problems(edit('asn: 65101', 'asn: "x"'))).toEqual(["7: switches.l1.asn: expected a number, got string 'x'"]);
    expect(problems(edit('role: leaf, asn: 65101', 'role: leef, asn: 65101'))).toEqual(["7: switches.l1.role: 'leef' is not one of 'spine', 'leaf'"]);
    expect(problems(edit('gateway: 10.9.0.1\n', ''))).toEqual(['1: gateway: missing required key']);
    expect(problems(edit('links:', 'linkz:'))).toEqual(["16: top level: unknown key 'linkz'"]);
  });

  it('bgp: bfd and graceful_restart take true, false or their timers, in FRR\'s ranges; BFD must beat the hold time', () => {
    expect(problems(`${BASE}bgp: { bfd: true, graceful_restart: true }\n`)).toEqual([]);
    expect(problems(`${BASE}bgp: { bfd: { interval: 50 }, graceful_restart: { stalepath_time: 30 } }\n`)).toEqual([]);
    expect(problems(`${BASE}bgp:\n  bfd: { interval: 60001, multiplier: 256 }\n`)).toEqual(['22: bfd interval 60001 is out of range', '22: bfd multiplier 256 is out of range']);
    expect(problems(`${BASE}bgp:\n  bfd: { interval: 2000, multiplier: 5 }\n`)).toEqual(["22: bfd detects a dead neighbor after 10 s (interval 2000 ms x multiplier 5), no sooner than BGP's own hold time (9 s)"]);
    expect(problems(`${BASE}bgp:\n  graceful_restart: { restart_time: 4096 }\n`)).toEqual(['22: graceful_restart restart_time 4096 is out of range']);
    expect(problems(`${BASE}bgp:\n  bfd: 300\n`)).toEqual(["22: bgp.bfd: expected true, false or '{ interval: MS, multiplier: N }', got number 300"]);
    expect(problems(`${BASE}bgp:\n  bfd: { intervall: 300 }\n`)).toEqual(["22: bgp.bfd: unknown key 'intervall'"]);
    expect(problems(`${BASE}bgp:\n  bfd: { interval: 300.5 }\n`)).toEqual(['22: bgp.bfd.interval: expected a whole number, got number 300.5']);
  });

  it('bgp: the plan carries each option only when it is on, true meaning the defaults', () => {
    const bgp = (text: string) => plan(loadTopology('t.yaml', `${BASE}${text}`), FACTS).bgp;
    expect(bgp('')).toEqual({});
    expect(bgp('bgp: { bfd: false, graceful_restart: false }\n')).toEqual({});
    expect(bgp('bgp: { bfd: true, graceful_restart: true }\n')).toEqual({ bfd: { interval: 300, multiplier: 3 }, gracefulRestart: { restartTime: 120, stalepathTime: 360 } });
    expect(bgp('bgp: { bfd: { multiplier: 4 }, graceful_restart: { restart_time: 30 } }\n')).toEqual({ bfd: { interval: 300, multiplier: 4 }, gracefulRestart: { restartTime: 30, stalepathTime: 360 } });
  });

  it('reports every problem at once, sorted by line', () => {
    const text = edit('asn: 65102', 'asn: 65101').replace('[10.9.0.21,', '[10.9.0.11,').replace('s9', 's9');
    expect(problems(text)).toEqual(['8: l2: ASN 65101 is already used by leaf l1', '15: h2: container IP 10.9.0.11 is already used by a container on h1']);
  });
});

describe('dual stack rules', () => {
  const DUAL = edit('gateway: 10.9.0.1\n', 'gateway: 10.9.0.1\nipv6: { prefix: 2001:db8:9::/64, loopbacks: 2001:db8:ff::/64 }\n');
  const dual = (from: string, to: string) => {
    if (!DUAL.includes(from)) throw new Error(`fixture has no ${from}`);
    return DUAL.replace(from, to);
  };
  const ct = (ip6: string) => problems(dual('[10.9.0.11, 10.9.0.12]', `[10.9.0.11, { ip: 10.9.0.12, ip6: '${ip6}' }]`));

  it('accepts a dual-stack topology, every address derived or given in any spelling', () => {
    expect(problems(DUAL)).toEqual([]);
    expect(ct('2001:DB8:9:0::0012')).toEqual([]);
    expect(ct('2001:0db8:0009:0000:0000:0000:0000:0012')).toEqual([]);
    expect(problems(dual('loopback: 10.255.0.11 }', 'loopback: 10.255.0.11, loopback6: fd00::11 }'))).toEqual([]);
  });

  it('the prefix: CIDR form, host bits zero, /64 to /126 (what Docker can serve), not special', () => {
    const prefix = (p: string) => problems(dual('prefix: 2001:db8:9::/64', `prefix: '${p}'`));
    expect(prefix('2001:db8:9::1/64')).toEqual(["4: ipv6 prefix '2001:db8:9::1/64' has host bits set"]);
    expect(prefix('2001:db8:9::/48')).toEqual([expect.stringMatching(/^4: ipv6 prefix 2001:db8:9::\/48 is shorter than \/64: Docker's IPAM keeps only an address's low 64 bits/)]);
    expect(prefix('2001:db8:9::/127')).toEqual(['4: ipv6 prefix 2001:db8:9::/127 leaves no address for containers']);
    expect(prefix('fe80::/64')).toEqual([expect.stringMatching(/^4: ipv6 prefix fe80::\/64 is link-local/)]);
    expect(prefix('ff05::/64')).toEqual([expect.stringMatching(/^4: ipv6 prefix ff05::\/64 is multicast/)]);
    expect(prefix('::ffff:0:0/96')).toEqual([expect.stringMatching(/is IPv4-mapped/)]);
    expect(prefix('2001:db8:9::')).toEqual([expect.stringMatching(/is not an IPv6 prefix in CIDR form/)]);
    expect(prefix('fd00:9::/64')).toEqual([]); // unique local
    expect(prefix('2001:db8:9::/126')).toEqual([expect.stringMatching(/leaves 2 bits for hosts: too few to derive 7 addresses/)]);
    // a /120 leaves 8 bits: the rule's one group per free IPv4 octet needs 16
    expect(prefix('2001:db8:9::/120')).toEqual([expect.stringMatching(/^4: ipv6 prefix 2001:db8:9::\/120 leaves 8 bits for hosts: too few to derive 7 addresses not given/)]);
  });

  it('addresses: inside the prefix, not its anycast addresses, not the gateway, unique however spelled', () => {
    expect(ct('2001:db8:8::12')).toEqual(['13: h1: container IPv6 2001:db8:8::12 is outside ipv6 prefix 2001:db8:9::/64']);
    expect(ct('2001:db8:9::')).toEqual([expect.stringMatching(/^13: h1: container IPv6 2001:db8:9:: is the subnet-router anycast address/)]);
    expect(ct('2001:db8:9::ffff:ffff:ffff:ffff')).toEqual([expect.stringMatching(/is the last address of 2001:db8:9::\/64, which Docker's IPAM cannot hand out/)]);
    expect(ct('2001:db8:9:0:fdff:ffff:ffff:ff80')).toEqual([expect.stringMatching(/is a reserved subnet anycast address/)]);
    expect(ct('2001:db8:9::1')).toEqual(['13: h1: container IPv6 2001:db8:9::1 is the IPv6 gateway address']);
    // one address in two spellings is one address: the second holder is told whose it is
    expect(ct('2001:DB8:9::0021')).toEqual(["16: h2: container IPv6 2001:db8:9::21 (derived from 10.9.0.21) is already used by h1's container 10.9.0.12"]);
    expect(ct('fe80::12%swp1')).toEqual([expect.stringMatching(/^13: h1: container IPv6 'fe80::12%swp1' is not an IPv6 address: it has a zone id/)]);
    expect(ct('::ffff:10.9.0.12')).toEqual(['13: h1: container IPv6 ::ffff:10.9.0.12 is IPv4-mapped (::ffff:0:0/96): it stands for an IPv4 address, not an IPv6 host']);
    const gw = problems(dual('prefix: 2001:db8:9::/64', 'prefix: 2001:db8:9::/64, gateway: 2001:db8:9::201'));
    expect(gw).toEqual(['12: server h1 IPv6 address 2001:db8:9::201 (derived from 10.9.0.201) is the IPv6 gateway address']);
    const server = problems(dual('address: 10.9.0.202,', "address: 10.9.0.202, address6: '2001:db8:9::11',"));
    expect(server).toEqual(["13: h1: container IPv6 2001:db8:9::11 (derived from 10.9.0.11) is already used by server h2"]);
  });

  it('loopbacks: every switch has one, unicast, outside the prefix, unique; the loopbacks prefix apart', () => {
    expect(problems(edit('gateway: 10.9.0.1\n', 'gateway: 10.9.0.1\nipv6: { prefix: 2001:db8:9::/64 }\n'))).toEqual(['4: ipv6: s1, s2, l1 and 1 more have no IPv6 loopback']);
    const lo6 = (v: string) => problems(dual('loopback: 10.255.0.12 }', `loopback: 10.255.0.12, loopback6: '${v}' }`));
    expect(lo6('2001:db8:9::12')).toEqual(['9: l2: loopback6 2001:db8:9::12 is inside ipv6 prefix 2001:db8:9::/64']);
    expect(lo6('::1')).toEqual([expect.stringMatching(/^9: l2: loopback6 ::1 is the loopback address/)]);
    expect(lo6('2001:DB8:FF:0:10:255:0:11')).toEqual(["9: l2: loopback6 '2001:DB8:FF:0:10:255:0:11' (2001:db8:ff:0:10:255:0:11) is already used by l1"]);
    expect(problems(dual('loopbacks: 2001:db8:ff::/64', 'loopbacks: 2001:db8::/32'))).toEqual(['4: ipv6 loopbacks 2001:db8::/32 overlaps ipv6 prefix 2001:db8:9::/64']);
    expect(problems(dual('loopbacks: 2001:db8:ff::/64', 'loopbacks: 2001:db8:ff::/96'))).toEqual([expect.stringMatching(/^4: ipv6 loopbacks 2001:db8:ff::\/96 is longer than \/64/)]);
  });

  it('IPv6 addresses without ipv6: are one problem, at the first', () => {
    const text = edit('loopback: 10.255.0.11 }', 'loopback: 10.255.0.11, loopback6: fd00::11 }').replace('address: 10.9.0.202,', 'address: 10.9.0.202, address6: fd00::202,');
    expect(problems(text)).toEqual(['7: loopback6 is an IPv6 address, but the topology has no ipv6: section (and 1 more IPv6 address)']);
  });

  it("a leaf whose platform cannot learn IPv6 neighbors: one line naming the platform's reason", () => {
    const cumulus = dual('l1: { role: leaf,', 'l1: { platform: cumulus, role: leaf,');
    expect(problems(cumulus)).toEqual([
      expect.stringMatching(/^4: ipv6 on platform cumulus leaves \(l1\): Cumulus' rdnbrd redistributes IPv4 neighbors \(ARP\) only/),
      '8: platform cumulus cannot run in the local lab (l1)',
    ]);
  });
});
