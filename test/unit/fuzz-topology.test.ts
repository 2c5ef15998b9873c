/**
 * Fuzzing the validator in-process (issue 10): thousands of seeded mutations of the default
 * topology, structural (values swapped for hostile ones, keys renamed, removed, lists grown)
 * and textual (bytes spliced into the YAML). Whatever the input, loading must either give a
 * plan that renders, or throw one TopologyError whose problems are one line each, name the
 * file and echo at most 80 characters of any value. Anything else is a crash.
 * FUZZ_SEED and FUZZ_RUNS override the seed and the number of runs per property.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { Document, parse } from 'yaml';
import { formatProblem, TopologyError } from '../../src/errors.js';
import { loadPlanSync } from '../../src/providers.js';
import { renderAll } from '../../src/render/index.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
// npm run test:unit is the quick loop (< 30 s): fewer runs there; npm test (CI) runs the full count
const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.CLDEMO_TEST_UNIT === '1' ? 300 : 2000));
const FILE = 'fuzz.yaml';
const BASE_TEXT = readFileSync('topology.yaml', 'utf8');
const BASE = parse(BASE_TEXT) as unknown;

type Json = unknown;

/** Every path to a value in the default topology, so mutations land on real places. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const here = [at];
  if (Array.isArray(v)) return here.concat(...v.map((x, i) => paths(x, [...at, i])));
  if (v && typeof v === 'object') return here.concat(...Object.entries(v).map(([k, x]) => paths(x, [...at, k])));
  return here;
}
const PATHS = paths(BASE).filter((p) => p.length > 0);
// dual stack: the same default topology with an IPv6 prefix, and every IPv6 key the format has
const DUAL_TEXT = readFileSync('examples/dual-stack.yaml', 'utf8')
  .replace('containers: [172.16.1.21, 172.16.1.22, 172.16.1.23]', "containers: [{ ip: 172.16.1.21, ip6: '2001:DB8:1::0021' }, 172.16.1.22, 172.16.1.23]")
  .replace('loopback: 10.0.0.14 }', 'loopback: 10.0.0.14, loopback6: 2001:db8:ffff::14 }')
  .replace('address: 172.16.1.254,', 'address: 172.16.1.254, address6: 2001:db8:1::fe,');
const DUAL = parse(DUAL_TEXT) as unknown;
const DUAL_PATHS = paths(DUAL).filter((p) => p.length > 0);

const hostileString = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'eth0', 'lo', 'all', 'default', 'swp1.100', 'swp1', 'leaf01', 'spine01',
    'server01', '0.0.0.0', '127.0.0.1', '224.0.0.1', '255.255.255.255', '172.16.1.11', '172.16.1.1', '172.16.1.0/24', '224.0.0.0/4', '0.0.0.0/0',
    '10.0.0.0/8', '192.168.200.0/24', '..', 'a/../b', '', ' ', 'x\nerror: forged', '\u0000', '\u2028', '\u001b[31m', 'leaf01:swp1', 'spine01:swp1',
    'constructor:swp2', '__proto__:swp1', 'frr', 'cumulus', 'lab', 'external', 'spine', 'leaf', '65020', '1e-7', '.inf', 'x'.repeat(500),
    // host spellings the resolver reads otherwise, IPv6 forms, look-alike and bidi names, null-ish keys
    '010.1.0.21', '10.1.0.011', '0x0a.1.0.9', '10.1.9', '167837705', '10.1.0.9.', '::1', '[::1]', 'fe80::1%eth0', '::ffff:10.1.0.9', '2001:DB8:0::1',
    'ops@[::1]:22', 'ops@2001:db8::1', 'ops@010.1.0.1', 'leaf0\u0664', '\u202eleaf01', 'le\u0430f01', 'leaf\u200b01', 'null', '~', '\ufeff',
    // IPv6 as the dual-stack keys take it, and as they must not
    '2001:db8:1::11', '2001:DB8:1::0011', '2001:db8:1:0:0:0:0:11', '2001:db8:1::172.16.1.11', 'fe80::11%swp1', '::ffff:172.16.1.11', '2001:db8:1::',
    '2001:db8:1::/64', '2001:db8:1::/48', '2001:db8:1::/127', '2001:db8:1::1/64', 'fd00::/64', 'ff02::1', '2001:db8:ffff::/64', '1:2:3:4:5:6:7:8', '::/0'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const hostileNumber = fc.oneof(
  fc.constantFrom(0, -1, 1, 0.1, 0.3, 1e-7, 3, 9216, 65020, 65534, 65535, 65536, 4294967294, 4294967295, 4294967296, 23456, Number.MAX_SAFE_INTEGER, 1e21, Infinity, -Infinity, NaN, 2.5),
  fc.integer(),
  fc.double(),
);
const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 2 }),
);

type Mutation =
  | { op: 'set'; path: number; value: Json }
  | { op: 'delete'; path: number }
  | { op: 'rename'; path: number; key: string }
  | { op: 'duplicate'; path: number }
  | { op: 'add'; path: number; key: string; value: Json };

const mutationOver = (count: number): fc.Arbitrary<Mutation> => fc.oneof(
  fc.record({ op: fc.constant('set' as const), path: fc.nat(count - 1), value: hostileValue }),
  fc.record({ op: fc.constant('delete' as const), path: fc.nat(count - 1) }),
  fc.record({ op: fc.constant('rename' as const), path: fc.nat(count - 1), key: hostileString }),
  fc.record({ op: fc.constant('duplicate' as const), path: fc.nat(count - 1) }),
  fc.record({ op: fc.constant('add' as const), path: fc.nat(count - 1), key: hostileString, value: hostileValue }),
);
const mutation = mutationOver(PATHS.length);

/** Sets an own property, even `__proto__`: a YAML file can hold that key, so the fuzzer must too. */
function put(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function apply(root: Json, m: Mutation, over: (string | number)[][] = PATHS): Json {
  const path = over[m.path];
  let parent = root as Record<string | number, Json>;
  for (const step of path.slice(0, -1)) {
    const next = parent?.[step];
    if (!next || typeof next !== 'object') return root; // an earlier mutation removed the way
    parent = next as Record<string | number, Json>;
  }
  const last = path[path.length - 1];
  if (!parent || typeof parent !== 'object' || !Object.hasOwn(parent, last)) return root;
  const current = parent[last];
  switch (m.op) {
    case 'set':
      if (Array.isArray(parent)) parent[last as number] = m.value;
      else put(parent, String(last), m.value);
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
      break;
    case 'rename':
      if (Array.isArray(parent)) break;
      delete parent[last];
      put(parent, m.key, current);
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.push(structuredClone(current));
      else put(parent, `${String(last)}2`, structuredClone(current));
      break;
    case 'add':
      if (current && typeof current === 'object' && !Array.isArray(current)) put(current as Record<string, Json>, m.key, m.value);
      else if (Array.isArray(current)) current.push(m.value);
      break;
  }
  return root;
}

/** Text spliced into the YAML: syntax, tags, directives, number spellings, null keys, line ends. */
const TEXT_SPLICES = ['&a [*a]', '*a', '&a', '<<: *a', '{', '[', ']', ': ', '\n  - ', '!!binary', '.inf', '__proto__: ', '\t', '"', "'", '#', '---\n',
  '!custom ', '!!python/object:os.system ', '!<tag:x> ', '!!float ', '!!int ', '!!str ', '%YAML 2.0\n---\n', '%YAML 1.1\n---\n', '...\n',
  '65011.0', '6.5011e4', '10.0', '0x10', '0o17', '+1', 'null: ', '~: ', '? \n: ', '\r', '\r\n', '\u0000', '\u202e', '\u0664', '\ufeff'];

/** Bytes spliced into the file: not UTF-8, byte-order marks, NULs, lone CRs. */
const BYTE_SPLICES = [[0xe9], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff, 0xfe], [0xfe, 0xff], [0xef, 0xbb, 0xbf], [0x00], [0x00, 0x00], [0x0d], [0xf4, 0x90, 0x80, 0x80]];

/** Hosts as people and tools write them: dotted numbers in every base and part count, IPv6 forms, names. */
const numberPart = fc.oneof(
  fc.nat(300).map(String),
  fc.nat(255).map((n) => `0${n.toString(8)}`),
  fc.nat(255).map((n) => `0x${n.toString(16)}`),
  fc.nat(0xffffff).map(String),
);
const hostSpelling: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.')),
  fc.tuple(fc.array(numberPart, { minLength: 1, maxLength: 5 }), fc.boolean()).map(([p, dot]) => `${p.join('.')}${dot ? '.' : ''}`),
  fc.ipV6(),
  fc.tuple(fc.ipV6(), fc.constantFrom('%eth0', '%1', '')).map(([a, z]) => `${a}${z}`),
  fc.constantFrom('::ffff:192.0.2.1', 'fe80::1', '::', '2001:DB8:0:0::1', '[2001:db8::1]', 'leaf01.example.net', 'leaf01.123', 'Leaf01', 'leaf_01', 'a..b', 'leaf0\u0664'),
  fc.domain(),
);

/** The one thing a load may do besides succeed: a clean TopologyError. */
function judge(text: string | Uint8Array): boolean {
  let plan;
  try {
    plan = loadPlanSync(FILE, text);
  } catch (e) {
    if (!(e instanceof TopologyError)) throw new Error(`crash: ${(e as Error)?.stack ?? String(e)}`, { cause: e });
    expect(e.problems.length).toBeGreaterThan(0);
    for (const p of e.problems) {
      const line = formatProblem(p);
      expect(p.file).toBe(FILE);
      expect(p.line).toBeGreaterThan(0); // every problem names its line
      // one line of printable ASCII: no echoed newline, bidi control or look-alike passes raw
      expect(line).toMatch(/^[\x20-\x7e]*$/);
      // every echoed value is cut to 80 characters: no run of 120 from the input survives
      expect(line).not.toMatch(/[^'\s]{200}/);
    }
    return false;
  }
  // accepted: then it must plan and render without a crash
  expect(renderAll(plan).size).toBe(plan.switches.length + plan.servers.length);
  return true;
}

describe('fuzzing the topology validator', () => {
  it('the unmutated default topology loads (the fuzzer starts from a valid file)', () => {
    judge(new Document(BASE).toString());
  });

  it(`${RUNS} structural mutations: no crash (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        const root = ms.reduce((r: Json, m) => apply(r, m), structuredClone(BASE));
        judge(new Document(root).toString());
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  it(`${RUNS} textual mutations: no crash (seed ${SEED})`, () => {
    const splice = fc.record({ at: fc.nat(BASE_TEXT.length), cut: fc.nat(8), insert: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...TEXT_SPLICES)) });
    fc.assert(
      fc.property(fc.array(splice, { minLength: 1, maxLength: 3 }), (edits) => {
        const text = edits.reduce((t, e) => t.slice(0, e.at) + e.insert + t.slice(e.at + e.cut), BASE_TEXT);
        judge(text);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  }, 120_000);
});

describe('fuzzing dual stack', () => {
  const DUAL_RUNS = Math.ceil(RUNS / 2);

  it('the unmutated dual-stack topology loads', () => {
    expect(judge(DUAL_TEXT)).toBe(true);
  });

  it(`${DUAL_RUNS} structural mutations of a dual-stack topology: no crash (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.array(mutationOver(DUAL_PATHS.length), { minLength: 1, maxLength: 4 }), (ms) => {
        const root = ms.reduce((r: Json, m) => apply(r, m, DUAL_PATHS), structuredClone(DUAL));
        judge(new Document(root).toString());
      }),
      { seed: SEED + 4, numRuns: DUAL_RUNS },
    );
  }, 120_000);

  it(`${DUAL_RUNS} textual mutations of a dual-stack topology: no crash (seed ${SEED})`, () => {
    const splice = fc.record({ at: fc.nat(DUAL_TEXT.length), cut: fc.nat(8), insert: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...TEXT_SPLICES, '::', ':', '%swp1', '/64', 'ffff', '.1')) });
    fc.assert(
      fc.property(fc.array(splice, { minLength: 1, maxLength: 3 }), (edits) => {
        judge(edits.reduce((t, e) => t.slice(0, e.at) + e.insert + t.slice(e.at + e.cut), DUAL_TEXT));
      }),
      { seed: SEED + 5, numRuns: DUAL_RUNS },
    );
  }, 120_000);

  // an interface identifier no other address of the topology has (they are all below 0x1000),
  // not the anycast ones (0, RFC 2526's last 128) and not the last address Docker cannot give
  const iid = fc.bigInt({ min: 0x1000n, max: 0xfdffffffffffff7fn });
  const inPrefixSpelling = fc.tuple(iid, fc.boolean(), fc.boolean(), fc.boolean()).map(([id, upper, zeros, expand]) => {
    const groups = [0x2001, 0xdb8, 1, 0, ...[48n, 32n, 16n, 0n].map((s) => Number((id >> s) & 0xffffn))];
    const text = groups.map((g) => (zeros ? g.toString(16).padStart(4, '0') : g.toString(16)));
    const written = expand ? text.join(':') : new URL(`http://[${text.join(':')}]/`).hostname.slice(1, -1);
    return upper ? written.toUpperCase() : written;
  });

  it(`${DUAL_RUNS} spellings of a container's address in the prefix: each accepted, planned in RFC 5952's form (seed ${SEED})`, () => {
    type Dual = { servers: { server01: { containers: unknown[] } } };
    fc.assert(
      fc.property(inPrefixSpelling, (ip6) => {
        const root = structuredClone(DUAL) as Dual;
        root.servers.server01.containers[0] = { ip: '172.16.1.11', ip6 };
        const plan = loadPlanSync(FILE, new Document(root).toString());
        // the WHATWG URL parser's serializer is RFC 5952's form for these
        expect(plan.containers[0].ip6).toBe(new URL(`http://[${ip6}]/`).hostname.slice(1, -1));
      }),
      { seed: SEED + 6, numRuns: DUAL_RUNS },
    );
  }, 120_000);

  it(`${DUAL_RUNS} addresses anywhere: one outside the prefix, with a zone or not IPv6 at all is refused (seed ${SEED})`, () => {
    type Dual = { servers: { server01: { containers: unknown[] } } };
    const anywhere = fc.oneof(fc.ipV6(), fc.tuple(fc.ipV6(), fc.constantFrom('%eth0', '%1', '/64', '')).map(([a, z]) => `${a}${z}`), fc.string({ maxLength: 20 }));
    fc.assert(
      fc.property(anywhere, (ip6) => {
        const root = structuredClone(DUAL) as Dual;
        root.servers.server01.containers[0] = { ip: '172.16.1.11', ip6 };
        const accepted = judge(new Document(root).toString());
        const inPrefix = isIPv6(ip6) && /^2001:db8:1:0:/.test(expand(ip6));
        if (!inPrefix) expect({ ip6, accepted }).toEqual({ ip6, accepted: false });
      }),
      { seed: SEED + 7, numRuns: DUAL_RUNS },
    );
  }, 120_000);
});

/** Eight 4-digit groups, by the URL parser (not by the code under test); non-addresses stay as they are. */
function expand(a: string): string {
  if (a.includes('%') || !isIPv6(a)) return a;
  const h = new URL(`http://[${a}]/`).hostname.slice(1, -1);
  const [head, tail = ''] = h.split('::');
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = h.includes('::') ? [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts] : hs;
  return groups.map((g) => g.padStart(4, '0')).join(':').replace(/^2001:0db8:0001:0000:/, '2001:db8:1:0:');
}

describe('fuzzing the loader with bytes, spellings and hosts', () => {
  it(`${RUNS} byte-level mutations (not UTF-8, UTF-16/32, BOMs, NULs, CR line ends): no crash (seed ${SEED})`, () => {
    const bytes = Buffer.from(BASE_TEXT);
    const splice = fc.record({
      at: fc.nat(bytes.length),
      cut: fc.nat(4),
      insert: fc.oneof(fc.uint8Array({ maxLength: 4 }), fc.constantFrom(...BYTE_SPLICES.map((b) => Uint8Array.from(b)))),
    });
    const encode = fc.constantFrom<(b: Uint8Array) => Uint8Array>(
      (b) => b,
      (b) => Buffer.from(Buffer.from(b).toString('utf8'), 'utf16le'),
      (b) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(Buffer.from(b).toString('utf8'), 'utf16le')]),
      (b) => Buffer.from(Buffer.from(b).toString('latin1').replace(/\n/g, '\r'), 'latin1'),
    );
    fc.assert(
      fc.property(fc.array(splice, { minLength: 1, maxLength: 3 }), encode, (edits, enc) => {
        const out = edits.reduce((b, e) => Buffer.concat([b.subarray(0, e.at), e.insert, b.subarray(e.at + e.cut)]), bytes);
        judge(enc(out));
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  }, 120_000);

  it(`${RUNS} management and jump host spellings: an accepted host is one the resolver cannot misread (seed ${SEED})`, () => {
    type External = { switches: Record<string, { mgmt: { host: string } }>; servers: Record<string, { mgmt: { host: string } }>; ssh?: { jump?: string } };
    const base = parse(readFileSync('test/fixtures/hostile/external-ok.yaml', 'utf8')) as External;
    const others = new Set([...Object.entries(base.switches), ...Object.entries(base.servers)].filter(([n]) => n !== 'leaf01').map(([, node]) => node.mgmt.host));
    fc.assert(
      fc.property(hostSpelling, fc.option(hostSpelling), (host, jumpHost) => {
        const root = structuredClone(base);
        root.switches.leaf01.mgmt.host = host;
        if (jumpHost !== null) root.ssh = { jump: `ops@${jumpHost.includes(':') ? `[${jumpHost}]` : jumpHost}:22` };
        const accepted = judge(new Document(root).toString());
        // Node's own strict reading is the oracle: an accepted host is a dotted quad it takes,
        // an IPv6 address, or a name with a letter in its last label (never a number to inet_aton)
        for (const h of jumpHost === null ? [host] : [host, jumpHost]) {
          if (accepted) expect({ h, ok: isIPv4(h) || isIPv6(h) || /[a-z-]/i.test(h.split('.').pop()!) }).toEqual({ h, ok: true });
        }
        // and a dotted quad Node takes is accepted, unless no sshd can be there (0/8, multicast, 240/4) or another node has it
        if (isIPv4(host) && !/^(0|22[4-9]|2[3-5]\d)\./.test(host) && jumpHost === null && !others.has(host)) expect({ host, accepted }).toEqual({ host, accepted: true });
      }),
      { seed: SEED + 3, numRuns: RUNS },
    );
  }, 120_000);
});

describe('long lists', () => {
  // `push(...items)` on 180,000 links overflowed the stack (exit 1); the walk must not spread a list
  it('a list of 200,000 entries is judged, not a crash', () => {
    expect(() => loadPlanSync(FILE, `${BASE_TEXT}\nextra:\n${'- 0\n'.repeat(200_000)}`)).toThrow(TopologyError);
  }, 60_000);
});
