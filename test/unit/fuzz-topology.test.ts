/**
 * Fuzzing the validator in-process (issue 10): thousands of seeded mutations of the default
 * topology, structural (values swapped for hostile ones, keys renamed, removed, lists grown)
 * and textual (bytes spliced into the YAML). Whatever the input, loading must either give a
 * plan that renders, or throw one TopologyError whose problems are one line each, name the
 * file and echo at most 80 characters of any value. Anything else is a crash.
 * FUZZ_SEED and FUZZ_RUNS override the seed and the number of runs per property.
 */
import { readFileSync } from 'node:fs';
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

const hostileString = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'eth0', 'lo', 'all', 'default', 'swp1.100', 'swp1', 'leaf01', 'spine01',
    'server01', '0.0.0.0', '127.0.0.1', '224.0.0.1', '255.255.255.255', '172.16.1.11', '172.16.1.1', '172.16.1.0/24', '224.0.0.0/4', '0.0.0.0/0',
    '10.0.0.0/8', '192.168.200.0/24', '..', 'a/../b', '', ' ', 'x\nerror: forged', '\u0000', '\u2028', '\u001b[31m', 'leaf01:swp1', 'spine01:swp1',
    'constructor:swp2', '__proto__:swp1', 'frr', 'cumulus', 'lab', 'external', 'spine', 'leaf', '65020', '1e-7', '.inf', 'x'.repeat(500)),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const hostileNumber = fc.oneof(
  fc.constantFrom(0, -1, 1, 0.1, 0.3, 1e-7, 3, 9216, 65020, 65535, 65536, 4294967295, 23456, Number.MAX_SAFE_INTEGER, 1e21, Infinity, -Infinity, NaN, 2.5),
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

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), path: fc.nat(PATHS.length - 1), value: hostileValue }),
  fc.record({ op: fc.constant('delete' as const), path: fc.nat(PATHS.length - 1) }),
  fc.record({ op: fc.constant('rename' as const), path: fc.nat(PATHS.length - 1), key: hostileString }),
  fc.record({ op: fc.constant('duplicate' as const), path: fc.nat(PATHS.length - 1) }),
  fc.record({ op: fc.constant('add' as const), path: fc.nat(PATHS.length - 1), key: hostileString, value: hostileValue }),
);

/** Sets an own property, even `__proto__`: a YAML file can hold that key, so the fuzzer must too. */
function put(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function apply(root: Json, m: Mutation): Json {
  const path = PATHS[m.path];
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

/** The one thing a load may do besides succeed: a clean TopologyError. */
function judge(text: string): void {
  let plan;
  try {
    plan = loadPlanSync(FILE, text);
  } catch (e) {
    if (!(e instanceof TopologyError)) throw new Error(`crash: ${(e as Error)?.stack ?? String(e)}`, { cause: e });
    expect(e.problems.length).toBeGreaterThan(0);
    for (const p of e.problems) {
      const line = formatProblem(p);
      expect(p.file).toBe(FILE);
      expect(line).not.toMatch(/[\n\r\u2028\u2029]/);
      // every echoed value is cut to 80 characters: no run of 120 from the input survives
      expect(line).not.toMatch(/[^'\s]{200}/);
    }
    return;
  }
  // accepted: then it must plan and render without a crash
  expect(renderAll(plan).size).toBe(plan.switches.length + plan.servers.length);
}

describe('fuzzing the topology validator', () => {
  it('the unmutated default topology loads (the fuzzer starts from a valid file)', () => {
    judge(new Document(BASE).toString());
  });

  it(`${RUNS} structural mutations: no crash (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        const root = ms.reduce(apply, structuredClone(BASE));
        judge(new Document(root).toString());
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  it(`${RUNS} textual mutations: no crash (seed ${SEED})`, () => {
    const splice = fc.record({ at: fc.nat(BASE_TEXT.length), cut: fc.nat(8), insert: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('&a [*a]', '*a', '&a', '<<: *a', '{', '[', ']', ': ', '\n  - ', '!!binary', '.inf', '__proto__: ', '\t', '"', "'", '#', '---\n')) });
    fc.assert(
      fc.property(fc.array(splice, { minLength: 1, maxLength: 3 }), (edits) => {
        const text = edits.reduce((t, e) => t.slice(0, e.at) + e.insert + t.slice(e.at + e.cut), BASE_TEXT);
        judge(text);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  }, 120_000);
});

describe('long lists', () => {
  // `push(...items)` on 180,000 links overflowed the stack (exit 1); the walk must not spread a list
  it('a list of 200,000 entries is judged, not a crash', () => {
    expect(() => loadPlanSync(FILE, `${BASE_TEXT}\nextra:\n${'- 0\n'.repeat(200_000)}`)).toThrow(TopologyError);
  }, 60_000);
});
