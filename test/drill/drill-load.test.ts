/**
 * Reading drills, as the topology is read: every shipped drill loads on the topology it is
 * written for; every broken one (test/fixtures/drills/bad) is refused with exit 2 and exactly
 * the lines pinned beside it (NAME.expected: `exit N`, then stderr); every hostile one
 * (test/fixtures/drills/hostile) exits 0 or 2 with its first line pinned, never a crash; the
 * topologies' own hostile corpus read as drills never crashes; and thousands of seeded
 * mutations of a shipped drill give a drill or a clean TopologyError. Regenerate the pins
 * with UPDATE_GOLDEN=1 after a deliberate change of wording.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Document, parse } from 'yaml';
import { formatProblem, TopologyError } from '../../src/errors.js';
import { loadDrill } from '../../src/drill/load.js';
import { drillJsonSchema } from '../../src/drill/schema.js';
import { loadPlanSync } from '../../src/providers.js';
import type { Plan } from '../../src/topology/types.js';
import { runCliBatch } from '../helpers/cli.js';

const DEFAULT = 'topology.yaml';
/** the default topology with BFD and graceful restart on: what the drills that require them run on */
const WITH_OPTIONS = 'test/e2e/fixtures/drills.yaml';
const yamls = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const shipped = yamls('drills');
const plans: Record<string, Plan> = { [DEFAULT]: loadPlanSync(DEFAULT), [WITH_OPTIONS]: loadPlanSync(WITH_OPTIONS) };
/** the topology a shipped drill is for: its `requires:` says */
const topologyFor = (file: string) => (/^\s+(bfd|graceful_restart): true/m.test(readFileSync(join('drills', file), 'utf8')) ? WITH_OPTIONS : DEFAULT);

function pinned(dir: string, file: string, actual: string): void {
  const expectedFile = join(dir, file.replace(/\.yaml$/, '.expected'));
  if (process.env.UPDATE_GOLDEN) writeFileSync(expectedFile, actual);
  expect(actual).toBe(readFileSync(expectedFile, 'utf8'));
}

describe('shipped drills', () => {
  test('there is one for each thing the fault bench breaks', () => {
    expect(shipped).toEqual(['agent-kill.yaml', 'container-churn.yaml', 'dockerd-restart.yaml', 'fabric-link.yaml', 'leaf-restart.yaml', 'lossy-uplink.yaml', 'spine-hung-bfd.yaml', 'spine-hung.yaml', 'spine-lost.yaml']);
  });
  test.each(shipped)('%s loads on the topology it is written for, and has an expectation', (file) => {
    const drill = loadDrill(join('drills', file), plans[topologyFor(file)]);
    expect(drill.steps.length).toBeGreaterThan(0);
    expect(drill.expectations.some((e) => e.kind === 'loss_window')).toBe(true);
  });
  test('a drill that requires an option is refused, exit 2, on a topology without it', () => {
    const [r] = runCliBatch([['drill', 'drills/spine-hung-bfd.yaml', '--check', '-t', DEFAULT]]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: drills\/spine-hung-bfd\.yaml:\d+:\d+: this drill needs bgp\.bfd on, and topology cldemo has it off/);
  });
  test('the JSON Schema in schema/drill.schema.json is the one the zod schema makes (npm run schema)', () => {
    expect(JSON.parse(readFileSync('schema/drill.schema.json', 'utf8'))).toEqual(drillJsonSchema());
  });
});

const badDir = 'test/fixtures/drills/bad';
const bad = yamls(badDir);
const badRuns = new Map(runCliBatch(bad.map((f) => ['drill', join(badDir, f), '--check', '-t', DEFAULT])).map((r, i) => [bad[i], r]));

describe('broken drills: every problem at once, each at its file:line:column, exit 2', () => {
  test('a corpus of broken drills', () => expect(bad.length).toBeGreaterThanOrEqual(10));
  test.each(bad)('%s', (file) => {
    const r = badRuns.get(file)!;
    pinned(badDir, file, `exit ${r.code}\n${r.stderr.trimEnd()}\n`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    for (const line of r.stderr.trimEnd().split('\n')) expect(line).toMatch(new RegExp(`^error: ${join(badDir, file).replace(/[.]/g, '\\.')}:\\d+:\\d+: `));
  });
});

const hostileDir = 'test/fixtures/drills/hostile';
const hostile = yamls(hostileDir);
const hostileRuns = new Map(runCliBatch(hostile.map((f) => ['drill', join(hostileDir, f), '--check', '-t', DEFAULT])).map((r, i) => [hostile[i], r]));

describe('hostile drills: refused cleanly (exit 2, one line naming the file) or read, never a crash', () => {
  test.each(hostile)('%s', (file) => {
    const r = hostileRuns.get(file)!;
    const first = (r.code === 0 ? r.stdout : r.stderr).split('\n')[0];
    pinned(hostileDir, file, `exit ${r.code}\n${first}\n`);
    expect([0, 2]).toContain(r.code);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+|run again with --debug/);
    for (const line of r.stderr.trimEnd().split('\n').filter(Boolean)) expect(line).toMatch(/^error: [\x20-\x7e]+$/);
  });
});

/** The one thing a load may do besides succeed: a clean TopologyError, one printable line a problem. */
function judge(text: string | Uint8Array, file = 'fuzz.yaml'): boolean {
  try {
    loadDrill(file, plans[WITH_OPTIONS], text);
    return true;
  } catch (e) {
    if (!(e instanceof TopologyError)) throw new Error(`crash: ${(e as Error)?.stack ?? String(e)}`, { cause: e });
    expect(e.problems.length).toBeGreaterThan(0);
    for (const p of e.problems) {
      expect(p.file).toBe(file);
      expect(formatProblem(p)).toMatch(/^[\x20-\x7e]*$/);
      expect(formatProblem(p)).not.toMatch(/[^'\s]{200}/);
    }
    return false;
  }
}

describe('the topologies\' hostile corpus, read as drills', () => {
  const dir = 'test/fixtures/hostile';
  test.each(yamls(dir))('%s: a drill or a clean refusal', (file) => {
    judge(readFileSync(join(dir, file)), file);
  });
});

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.CLDEMO_TEST_UNIT === '1' ? 300 : 1500));
const BASE_TEXT = readFileSync('drills/spine-hung-bfd.yaml', 'utf8');
const BASE = parse(BASE_TEXT) as unknown;

/** Every path to a value of the drill, so mutations land on real places. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return [at, ...v.flatMap((x, i) => paths(x, [...at, i]))];
  if (v && typeof v === 'object') return [at, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...at, k]))];
  return [at];
}
const PATHS = paths(BASE).filter((p) => p.length > 0);
const hostileValue = fc.oneof(
  fc.constantFrom('spine01 hang', 'spine01:swp4 down', 'leaf04 frr', 'server04', '172.16.1.41', '__proto__', 'constructor', '', ' ', 'x\nerror: forged', '\u202e', '1e400', '.inf', 'x'.repeat(300)),
  fc.string({ maxLength: 30 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.dictionary(fc.constantFrom('link', 'node', 'wait', 'within', 'routes', 'max', 'to', 'present'), fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), { maxKeys: 3 }),
);

function set(root: unknown, path: (string | number)[], value: unknown): unknown {
  let parent = root as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) {
    const next = parent?.[step];
    if (!next || typeof next !== 'object') return root;
    parent = next as Record<string | number, unknown>;
  }
  Object.defineProperty(parent, path[path.length - 1], { value, enumerable: true, writable: true, configurable: true });
  return root;
}

describe('fuzzing the drill reader', () => {
  test('the unmutated drill loads (the fuzzer starts from a valid file)', () => expect(judge(BASE_TEXT)).toBe(true));

  test(`${RUNS} structural mutations: no crash (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(PATHS.length - 1), hostileValue), { minLength: 1, maxLength: 4 }), (edits) => {
        const root = edits.reduce((r, [p, v]) => set(r, PATHS[p], v), structuredClone(BASE));
        judge(new Document(root).toString());
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  test(`${RUNS} textual mutations: no crash (seed ${SEED})`, () => {
    const splices = ['&a [*a]', '*a', '<<: *a', '{', '[', ': ', '\n  - ', '!!binary ', '.inf', '__proto__: ', '\t', '"', '---\n', '%YAML 2.0\n', '~: ', '\u0000', '\r', '\ufeff'];
    const edit = fc.record({ at: fc.nat(BASE_TEXT.length), cut: fc.nat(8), insert: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...splices)) });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        judge(edits.reduce((t, e) => t.slice(0, e.at) + e.insert + t.slice(e.at + e.cut), BASE_TEXT));
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  }, 120_000);

  test('100,000 steps are judged, not a crash', () => {
    expect(judge(`steps:\n${'  - wait: 1\n'.repeat(100_000)}`)).toBe(true);
  }, 60_000);
});
